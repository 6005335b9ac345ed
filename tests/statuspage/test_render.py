"""Rendering on change: every public document stored with a strong ETag, only changed
documents rewritten, a failing render never undoing the change that triggered it."""

import hashlib
import logging

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import render, selectors, services, store
from incidentdesk.statuspage.models import PublicDocument, PublicIncident
from incidentdesk.statuspage.public_site import refresh, refresh_or_raise
from incidentdesk.statuspage.tasks import refresh_every_minute
from tests.statuspage.schemas.sample import SCHEMA_FOR, build_page

WEB = ActionSource.WEB
NOT_HTML = [*SCHEMA_FOR, "/history.atom", "/history.rss"]


@pytest.fixture
def page(manager):
    built = build_page(manager)
    refresh_or_raise()
    return built


def versions() -> dict[str, int]:
    return dict(PublicDocument.objects.values_list("path", "version"))


def test_refresh_stores_every_public_document(page):
    paths = set(versions())
    assert set(NOT_HTML) <= paths
    assert {"/", "/history", f"/incidents/{page['active'].public_id}"} <= paths
    for pi in PublicIncident.objects.all():
        assert f"/incidents/{pi.public_id}" in paths


def test_each_document_has_a_strong_etag_of_its_bytes(page):
    for doc in PublicDocument.objects.all():
        body = bytes(doc.body)
        assert doc.etag == f'"{hashlib.sha256(body).hexdigest()}"'


def test_content_types_match_the_documents(page):
    kinds = dict(PublicDocument.objects.values_list("path", "content_type"))
    assert kinds["/api/v2/summary.json"] == "application/json"
    assert kinds["/history.atom"].startswith("application/atom+xml")
    assert kinds["/history.rss"].startswith("application/rss+xml")
    assert kinds["/"].startswith("text/html")


def test_refreshing_unchanged_data_rewrites_no_json_or_feed(page):
    before = versions()
    refresh_or_raise()
    after = versions()
    assert {p: after[p] for p in NOT_HTML} == {p: before[p] for p in NOT_HTML}


def test_a_public_update_rerenders_after_commit_with_a_higher_version(
    page, manager, django_capture_on_commit_callbacks
):
    before = versions()
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_update(
            actor=manager, source=WEB, public_incident=page["active"], message="Still fixing."
        )
    after = versions()
    assert after["/api/v2/summary.json"] > before["/api/v2/summary.json"]
    summary = bytes(PublicDocument.objects.get(path="/api/v2/summary.json").body)
    assert b"Still fixing." in summary
    assert after["/history.atom"] > before["/history.atom"]


def test_versions_only_grow(page, manager, django_capture_on_commit_callbacks):
    seen = max(versions().values())
    for n in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            services.publication_update(
                actor=manager, source=WEB, public_incident=page["active"], message=f"Update {n}."
            )
        latest = max(versions().values())
        assert latest > seen
        seen = latest


def test_a_failing_render_is_logged_and_the_change_stands(
    page, manager, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise RuntimeError("template exploded")

    monkeypatch.setattr(render, "render_documents", broken)
    with caplog.at_level(logging.ERROR), django_capture_on_commit_callbacks(execute=True):
        update = services.publication_update(
            actor=manager, source=WEB, public_incident=page["active"], message="Kept anyway."
        )
    assert update.pk and page["active"].updates.filter(body="Kept anyway.").exists()
    assert "refreshing the public status page failed" in caplog.text


def test_failing_html_pages_still_leave_fresh_json(page, manager, monkeypatch, caplog):
    from incidentdesk.statuspage import pages

    def broken(ids):
        raise RuntimeError("page template exploded")

    monkeypatch.setattr(pages, "html_renderers", broken)
    services.publication_update(
        actor=manager, source=WEB, public_incident=page["active"], message="JSON still moves."
    )
    with caplog.at_level(logging.ERROR):
        refresh()
    summary = bytes(PublicDocument.objects.get(path="/api/v2/summary.json").body)
    assert b"JSON still moves." in summary
    assert PublicDocument.objects.filter(path="/").exists()  # kept, not deleted
    assert "rendering the public HTML pages failed" in caplog.text


def test_a_render_of_older_data_never_replaces_a_newer_one(page):
    rendered = render.render_documents()
    rendered.documents = {
        p: (k, b"old" if p.endswith(".json") else b) for p, (k, b) in rendered.documents.items()
    }
    expected = store.latest_version() - 1  # someone stored a version since
    assert store.store_rendered(rendered, expected) is None
    assert bytes(PublicDocument.objects.get(path="/api/v2/status.json").body) != b"old"


def test_documents_that_no_longer_exist_are_removed_by_a_full_refresh(page):
    PublicDocument.objects.create(
        path="/incidents/gone", content_type="text/html", body=b"x", etag='"x"', version=1
    )
    refresh_or_raise()
    assert not PublicDocument.objects.filter(path="/incidents/gone").exists()


def test_a_partial_refresh_keeps_other_documents(page):
    PublicDocument.objects.create(
        path="/incidents/other", content_type="text/html", body=b"x", etag='"x"', version=1
    )
    refresh_or_raise([page["active"].public_id])
    assert PublicDocument.objects.filter(path="/incidents/other").exists()


def test_the_minute_task_rerenders(page, manager):
    services.publication_update(
        actor=manager, source=WEB, public_incident=page["active"], message="Seen by the task."
    )
    refresh_every_minute.call_local()
    assert b"Seen by the task." in bytes(
        PublicDocument.objects.get(path="/api/v2/incidents.json").body
    )


def _v2_and_feed_queries() -> int:
    snap_and_docs = CaptureQueriesContext(connection)
    with snap_and_docs:
        snap = selectors.read_snapshot()
        render.v2_documents(snap)
        from incidentdesk.statuspage.feeds import atom_feed

        atom_feed(snap.page, snap.incidents)
    return len(snap_and_docs)


def test_rendering_the_json_takes_the_same_few_queries_however_many_incidents(
    page, manager, declare
):
    few = _v2_and_feed_queries()
    for n in range(10):
        services.publication_create(
            actor=manager,
            source=WEB,
            incident=declare(actor=manager, title=f"more {n}"),
            name=f"More trouble {n}",
            message="Looking.",
            components={"Email": "major_outage"},
        )
    assert _v2_and_feed_queries() == few <= 8

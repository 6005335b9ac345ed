"""The public HTML pages rendered by pages.html_documents()."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import timeline_entry_add
from incidentdesk.statuspage import pages, services
from incidentdesk.statuspage.models import PublicIncident
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
CANARY = "CANARY-7f3e"


@pytest.fixture
def catalog():
    api = ComponentFactory(name="API")
    rest = ComponentFactory(name="REST API", group=api)
    hooks = ComponentFactory(name="Webhooks", group=api)
    website = ComponentFactory(name="Website", description="The dashboard")
    ComponentFactory(name="Hidden thing", showcase=False)
    return {"api": api, "rest": rest, "hooks": hooks, "website": website}


@pytest.fixture
def published(declare, responder, catalog):
    incident = declare(
        title=f"{CANARY} title",
        summary=f"{CANARY} summary",
        impact=f"{CANARY} impact",
        users_affected_description=f"{CANARY} users",
        reported_by=f"{CANARY} reporter",
    )
    timeline_entry_add(
        actor=responder, source=WEB, incident=incident, kind="note", body=f"{CANARY} note"
    )
    return services.publication_create(
        actor=responder,
        source=WEB,
        incident=incident,
        name="Elevated API errors",
        message="Some requests **fail**. We are looking into it.",
        components={"REST API": "partial_outage"},
        workaround="Retry after a few seconds.",
        workaround_url="https://docs.example.com/retries",
    )


def test_the_documents_are_home_history_and_each_publication(published):
    documents = pages.html_documents()
    assert set(documents) == {"/", "/history", f"/incidents/{published.public_id}"}
    assert all(html.startswith("<!doctype html>") for html in documents.values())


def test_changed_ids_limit_the_incident_pages(published, declare, responder):
    other = services.publication_create(
        actor=responder, source=WEB, incident=declare(), name="Other", message="m"
    )
    documents = pages.html_documents([other.public_id])
    assert f"/incidents/{other.public_id}" in documents
    assert f"/incidents/{published.public_id}" not in documents
    assert "/" in documents and "/history" in documents


def test_home_shows_the_status_the_active_incident_and_its_updates(published, responder):
    services.publication_update(
        actor=responder,
        source=WEB,
        public_incident=published,
        status="monitoring",
        message="A fix is rolling out.",
    )
    home = pages.html_documents()["/"]
    assert "Partial System Outage" in home
    assert "Elevated API errors" in home
    assert "<strong>fail</strong>" in home
    assert home.index("A fix is rolling out.") < home.index("We are looking into it.")
    assert "Retry after a few seconds." in home
    assert 'href="https://docs.example.com/retries"' in home
    assert f'href="/incidents/{published.public_id}"' in home


def test_home_groups_components_with_uptime_bars(published, catalog):
    home = pages.html_documents()["/"]
    assert re.search(r'<details class="sp-group" open>\s*<summary>', home)
    assert "REST API" in home and "Webhooks" in home and "The dashboard" in home
    assert "Hidden thing" not in home
    assert home.count('role="group" aria-label="REST API: daily status') == 1
    # 90 cells per bar: the group's, its two children's and the website's.
    assert home.count('<span class="d lvl-') == 4 * 90
    assert "Partial outage" in home
    assert "uptime" in home


def test_home_shows_ongoing_and_upcoming_maintenance(manager, catalog):
    now = timezone.now()
    services.maintenance_schedule(
        actor=manager,
        source=WEB,
        name="Database upgrade",
        message="Read-only for ten minutes.",
        scheduled_for=now + timedelta(days=2),
        scheduled_until=now + timedelta(days=2, hours=1),
        components=["Website"],
    )
    running = services.maintenance_schedule(
        actor=manager,
        source=WEB,
        name="Certificate rotation",
        message="Rotating.",
        scheduled_for=now - timedelta(minutes=5),
        scheduled_until=now + timedelta(hours=1),
        components=["Webhooks"],
    )
    services.maintenance_update(
        actor=manager, source=WEB, maintenance=running, status="in_progress", message="Started."
    )
    home = pages.html_documents()["/"]
    ongoing = home.index("Maintenance in progress")
    upcoming = home.index("Scheduled maintenance")
    assert ongoing < home.index("Certificate rotation") < upcoming < home.index("Database upgrade")
    assert "Service Under Maintenance" in home
    assert "Under maintenance" in home


def test_the_banner_shows_on_every_page(manager, published):
    services.banner_set(
        actor=manager, source=WEB, active=True, kind="read_only", message="Restoring backups."
    )
    for html in pages.html_documents().values():
        assert "Restoring backups." in html
        assert "sp-site-banner kind-read_only" in html


def test_a_quiet_page_says_all_systems_operational(catalog):
    home = pages.html_documents()["/"]
    assert "All Systems Operational" in home
    assert "No incidents reported." in home
    assert "Active incident" not in home


def test_the_incident_page_has_updates_components_workaround_and_postmortem(published, responder):
    services.publication_resolve(
        actor=responder, source=WEB, public_incident=published, message="Fixed for good."
    )
    PublicIncident.objects.filter(pk=published.pk).update(
        postmortem_body="A **bad** deploy.", postmortem_published_at=timezone.now()
    )
    html = pages.html_documents()[f"/incidents/{published.public_id}"]
    assert "Elevated API errors" in html
    assert html.index("Fixed for good.") < html.index("We are looking into it.")
    assert "This incident has been resolved." in html
    assert "REST API" in html
    assert "Retry after a few seconds." in html
    assert "<strong>bad</strong> deploy" in html


def test_history_groups_by_month_and_paginates(declare, responder):
    now = timezone.now()
    for n in range(pages.HISTORY_PAGE_SIZE + 3):
        pi = services.publication_create(
            actor=responder, source=WEB, incident=declare(), name=f"Blip {n}", message="m"
        )
        services.publication_resolve(actor=responder, source=WEB, public_incident=pi, message="ok")
        PublicIncident.objects.filter(pk=pi.pk).update(started_at=now - timedelta(days=10 * n))
    documents = pages.html_documents()
    assert "/history/page/2" in documents and "/history/page/3" not in documents
    first, second = documents["/history"], documents["/history/page/2"]
    assert "Blip 0<" in first and "Blip 19<" in first and "Blip 20<" not in first
    assert "Blip 22<" in second
    assert 'href="/history/page/2" rel="next"' in first
    assert 'href="/history" rel="prev"' in second
    assert timezone.localtime(now).strftime("%B %Y") in first


def test_pages_do_not_depend_on_a_request(published):
    html = pages.html_documents()["/"]
    assert "csrfmiddlewaretoken" not in html
    assert 'action="/subscribe"' in html
    assert 'name="website"' in html  # the honeypot
    assert "http://" not in html.replace("http://www.w3.org", "")


def test_nothing_internal_reaches_any_page(published, responder):
    services.publication_update(
        actor=responder, source=WEB, public_incident=published, message="Still on it."
    )
    documents = pages.html_documents()
    for path, html in documents.items():
        assert CANARY not in html, path
        assert published.incident.reference not in html, path
        assert responder.username not in html, path


def test_public_text_cannot_inject_script(declare, responder):
    services.publication_create(
        actor=responder,
        source=WEB,
        incident=declare(),
        name="<script>alert(1)</script>",
        message="<img src=x onerror=alert(1)> [x](javascript:alert(1))",
    )
    for html in pages.html_documents().values():
        assert "<script>alert" not in html
        assert "<img src=x" not in html
        assert 'href="javascript:' not in html

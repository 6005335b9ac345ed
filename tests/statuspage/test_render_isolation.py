"""The public site never freezes: each document renders on its own, a failed one keeps its
last good version, is logged, counted in /metrics, shown to admins, tried again every minute
and fails `statuspage export`; text stored before the input check is made safe when rendered."""

import copy
import json
import logging
import xml.etree.ElementTree as ET
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import services
from incidentdesk.statuspage.export import file_for
from incidentdesk.statuspage.models import (
    PublicDocument,
    PublicIncident,
    PublicUpdate,
    RenderFailure,
)
from incidentdesk.statuspage.public_site import refresh, refresh_or_raise
from incidentdesk.statuspage.tasks import refresh_every_minute

WEB = ActionSource.WEB
ATOM = "{http://www.w3.org/2005/Atom}"
SUMMARY = "/api/v2/summary.json"


class BrokenTemplate:
    """A real rendering failure: the publication page's template overridden by one that
    includes a template that does not exist (TemplateDoesNotExist at render time)."""

    def __init__(self, settings, folder):
        self.settings = settings
        self.original = copy.deepcopy(settings.TEMPLATES)
        target = folder / "statuspage" / "public" / "incident.html"
        target.parent.mkdir(parents=True)
        target.write_text('{% include "statuspage/public/no-such-part.html" %}')
        templates = copy.deepcopy(self.original)
        templates[0]["DIRS"] = [folder, *templates[0]["DIRS"]]
        settings.TEMPLATES = templates

    def repair(self):
        self.settings.TEMPLATES = self.original


@pytest.fixture
def broken_incident_pages(settings, tmp_path):
    return BrokenTemplate(settings, tmp_path / "templates")


def stored(path: str) -> bytes:
    return bytes(PublicDocument.objects.get(path=path).body)


def post_update(actor, publication, message: str) -> None:
    services.publication_update(
        actor=actor, source=WEB, public_incident=publication, message=message
    )


def test_a_page_that_fails_to_render_blocks_no_other_document(
    page, manager, broken_incident_pages, caplog
):
    active_page = f"/incidents/{page['active'].public_id}"
    before = stored(active_page)
    post_update(manager, page["active"], "Fix rolling out everywhere.")
    with caplog.at_level(logging.ERROR):
        refresh()
    for path in (SUMMARY, "/api/v2/incidents.json", "/history.atom", "/history.rss", "/"):
        assert b"Fix rolling out everywhere." in stored(path), path
    assert stored(active_page) == before  # its last good version, not deleted as "removed"
    failure = RenderFailure.objects.get(path=active_page)
    assert failure.failing and failure.error.startswith("TemplateDoesNotExist: ")
    assert "\n" not in failure.error
    assert f"rendering the public document {active_page} failed" in caplog.text


def test_a_failed_document_is_shown_to_admins_until_a_later_render_succeeds(
    page, admin, manager, broken_incident_pages
):
    active_page = f"/incidents/{page['active'].public_id}"
    post_update(manager, page["active"], "Still on it.")
    refresh()
    client = Client()
    client.force_login(admin)
    screen = client.get("/statuspage/").content.decode()
    assert "Public documents not updating" in screen
    assert active_page in screen and "TemplateDoesNotExist" in screen

    broken_incident_pages.repair()
    refresh_every_minute.call_local()  # the periodic refresh tries it again
    screen = client.get("/statuspage/").content.decode()
    assert "Public documents not updating" not in screen
    assert not RenderFailure.objects.filter(failing=True).exists()
    assert b"Still on it." in stored(active_page)


def test_the_failure_is_not_shown_to_responders(page, responder, broken_incident_pages):
    refresh()
    client = Client()
    client.force_login(responder)
    assert "Public documents not updating" not in client.get("/statuspage/").content.decode()


def test_failed_renders_are_counted_in_metrics(page, admin, settings, broken_incident_pages):
    settings.METRICS_TOKEN = "scrape-me"
    refresh()
    refresh()
    scraped = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer scrape-me").content.decode()
    active_page = f"/incidents/{page['active'].public_id}"
    assert (
        f'incidentdesk_statuspage_render_failures_total{{document="{active_page}"}} 2.0' in scraped
    )
    failing = PublicIncident.objects.count()  # every publication's page
    assert f"incidentdesk_statuspage_documents_failing {failing}.0" in scraped


def test_export_exits_non_zero_naming_the_failed_documents(
    page, manager, broken_incident_pages, tmp_path
):
    active_page = f"/incidents/{page['active'].public_id}"
    before = stored(active_page)
    post_update(manager, page["active"], "Exported anyway.")
    with pytest.raises(CommandError) as failed:
        call_command("statuspage", "export", str(tmp_path / "site"), stdout=StringIO())
    assert failed.value.returncode == 1
    assert active_page in str(failed.value) and "TemplateDoesNotExist" in str(failed.value)
    # Everything else is exported fresh, the failed page in its last good version.
    assert "Exported anyway." in (tmp_path / "site" / file_for(SUMMARY)).read_text()
    assert "Exported anyway." in (tmp_path / "site" / "history.atom").read_text()
    assert (tmp_path / "site" / file_for(active_page)).read_bytes() == before


def test_export_exits_zero_once_every_document_renders(page, broken_incident_pages, tmp_path):
    refresh()
    broken_incident_pages.repair()
    call_command("statuspage", "export", str(tmp_path), stdout=StringIO())
    assert not RenderFailure.objects.filter(failing=True).exists()


# Text stored before the input check existed ------------------------------------------------


def test_a_control_character_stored_directly_is_shown_safely_everywhere(page):
    latest = page["active"].updates.order_by("-display_at", "-id").first()
    PublicUpdate.objects.filter(pk=latest.pk).update(body="Rolling back\x0bnow.")
    PublicIncident.objects.filter(pk=page["active"].pk).update(name="API\x0berrors")

    assert refresh_or_raise().failures == {}
    client = Client()
    home = client.get("/")
    assert home.status_code == 200
    assert "Rolling back\ufffdnow." in home.content.decode() and b"\x0b" not in home.content

    summary = client.get(SUMMARY)
    assert b"\\u000b" not in summary.content
    (incident,) = json.loads(summary.content)["incidents"]
    assert incident["name"] == "API\ufffderrors"
    assert incident["incident_updates"][0]["body"] == "Rolling back\ufffdnow."

    atom = ET.fromstring(client.get("/history.atom").content)
    entry = next(e for e in atom.iter(f"{ATOM}entry") if "errors" in e.find(f"{ATOM}title").text)
    assert entry.find(f"{ATOM}title").text == "API\ufffderrors"
    assert "Rolling back\ufffdnow." in entry.find(f"{ATOM}summary").text
    rss = ET.fromstring(client.get("/history.rss").content)
    item = next(i for i in rss.iter("item") if "errors" in i.find("title").text)
    assert "Rolling back\ufffdnow." in item.find("description").text

"""The triage queue: who may declare incidents declares one from a report (reporter and medium
filled in), attaches it to an open incident, or dismisses it with a reason, through the
services, the API and the web; everyone else is refused and nothing changes."""

import pytest
from django.utils import timezone

from incidentdesk.alerts import reports
from incidentdesk.alerts.models import Report, ReportStatus
from incidentdesk.alerts.services import integration_create
from incidentdesk.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, TimelineEntry
from incidentdesk.incidents.services import incident_resolve
from tests.alerts import mails

WEB = ActionSource.WEB
pytestmark = pytest.mark.django_db


@pytest.fixture
def help_desk(admin):
    integration, _ = integration_create(
        actor=admin, source=ActionSource.CLI, kind="email", name="help"
    )
    return integration


@pytest.fixture
def report(help_desk) -> Report:
    return reports.report_receive(integration=help_desk, raw=mails.alternative()).report


# Services ----------------------------------------------------------------------------------


def test_declaring_from_a_report_fills_title_description_reporter_medium_and_detection(
    report, responder
):
    incident = reports.report_declare(
        actor=responder, source=WEB, report_id=report.pk, severity="major"
    )
    assert incident.title == "Checkout fails with “payment declined”"
    assert "every card payment at checkout is declined" in incident.summary
    assert incident.reported_by == "Ana María López <ana@example.org>"
    assert incident.report_medium == "email" and incident.detection == "reactive"
    assert incident.detected_at == report.received_at
    assert incident.criteria_reason == reports.CRITERIA_REASON
    report.refresh_from_db()
    assert (report.status, report.incident, report.decided_by) == ("declared", incident, responder)
    entry = TimelineEntry.objects.get(incident=incident, data__report=report.pk)
    assert entry.body.startswith(f"Declared from email report {report.reference}")
    assert "> Since 08:40 every card payment" in entry.body


def test_attaching_puts_the_report_on_an_open_incidents_timeline(report, responder, incident):
    found = reports.report_attach(
        actor=responder, source=WEB, report_id=report.pk, incident=incident.reference
    )
    assert found == incident
    report.refresh_from_db()
    assert report.status == ReportStatus.ATTACHED and report.incident == incident
    entry = TimelineEntry.objects.filter(incident=incident).latest("id")
    assert entry.body.startswith(f"Attached email report {report.reference} from Ana María")
    assert entry.author == responder and entry.source == "web"


def test_attaching_to_a_resolved_or_unseen_incident_is_refused_naming_the_incident(
    report, responder, declare, admin
):
    resolved = incident_resolve(actor=responder, source=WEB, incident=declare())
    with pytest.raises(InvalidTransition, match="attach to an open incident") as refused:
        reports.report_attach(
            actor=responder, source=WEB, report_id=report.pk, incident=resolved.reference
        )
    assert refused.value.field == "incident"
    hidden = declare(actor=admin, title="Breach", security=True, criteria=["security"])
    with pytest.raises(NotFound, match="that you can see"):
        reports.report_attach(
            actor=responder, source=WEB, report_id=report.pk, incident=hidden.reference
        )
    assert Report.objects.get().status == ReportStatus.NEW


def test_dismissing_needs_a_reason_and_records_who_and_when(report, responder):
    for empty in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            reports.report_dismiss(actor=responder, source=WEB, report_id=report.pk, reason=empty)
        assert refused.value.field == "reason"
    dismissed = reports.report_dismiss(
        actor=responder, source=WEB, report_id=report.pk, reason="A question for support"
    )
    assert dismissed.status == "dismissed" and dismissed.dismiss_reason == "A question for support"
    assert dismissed.decided_by == responder and dismissed.decided_at <= timezone.now()
    assert not reports.reports_for(responder).exists()  # out of the queue


def test_a_report_is_decided_once(report, responder):
    reports.report_dismiss(actor=responder, source=WEB, report_id=report.pk, reason="spam")
    with pytest.raises(InvalidTransition, match=f"{report.reference} was already dismissed"):
        reports.report_declare(actor=responder, source=WEB, report_id=report.pk, severity="major")
    assert not Incident.objects.exists()


def test_viewers_may_neither_see_nor_decide_reports(report, viewer):
    with pytest.raises(PermissionDenied, match="needs responder"):
        reports.reports_for(viewer)
    with pytest.raises(PermissionDenied):
        reports.report_for(viewer, report.pk)
    for decide in (
        lambda: reports.report_declare(
            actor=viewer, source=WEB, report_id=report.pk, severity="major"
        ),
        lambda: reports.report_dismiss(actor=viewer, source=WEB, report_id=report.pk, reason="x"),
        lambda: reports.report_attach(actor=viewer, source=WEB, report_id=report.pk, incident="1"),
    ):
        with pytest.raises(PermissionDenied):
            decide()
    assert Report.objects.get().status == ReportStatus.NEW


def test_a_bad_severity_is_refused_and_the_report_stays_in_the_queue(report, responder):
    with pytest.raises(ValidationError) as refused:
        reports.report_declare(actor=responder, source=WEB, report_id=report.pk, severity="huge")
    assert refused.value.field == "severity"
    assert Report.objects.get().status == ReportStatus.NEW and not Incident.objects.exists()


# API ---------------------------------------------------------------------------------------


def test_the_api_lists_shows_and_decides_reports(report, rita, help_desk):
    other = reports.report_receive(integration=help_desk, raw=mails.html_only()).report
    listing = rita.call("GET", "/reports")
    assert listing.status_code == 200 and listing.json_body["count"] == 2
    one = rita.call("GET", f"/reports/{report.pk}").json_body
    assert one["reference"] == report.reference and one["sender_name"] == "Ana María López"
    assert one["acknowledged"] is True and one["replies"] == [] and one["status"] == "new"
    declared = rita.call("POST", f"/reports/{report.pk}/declare", {"severity": "critical"})
    assert declared.status_code == 200, declared.json_body
    reference = declared.json_body["incident"]["reference"]
    assert declared.json_body["report"]["status"] == "declared"
    assert declared.json_body["report"]["incident"] == reference
    dismissed = rita.call("POST", f"/reports/{other.pk}/dismiss", {"reason": "newsletter"})
    assert dismissed.json_body["report"]["dismiss_reason"] == "newsletter"
    assert rita.call("GET", "/reports").json_body["count"] == 0
    assert rita.call("GET", "/reports?status=all").json_body["count"] == 2


def test_the_api_attaches_and_refuses_bad_input_naming_the_field(report, rita, incident):
    missing = rita.call("POST", f"/reports/{report.pk}/dismiss", {})
    assert missing.status_code == 422 and missing.json_body["field"] == "reason"
    unknown = rita.call("POST", "/reports/999999/dismiss", {"reason": "x"})
    assert unknown.status_code == 404 and unknown.json_body["field"] == "report"
    status = rita.call("GET", "/reports?status=nope")
    assert status.status_code == 422 and status.json_body["field"] == "status"
    attached = rita.call("POST", f"/reports/{report.pk}/attach", {"incident": incident.reference})
    assert (
        attached.status_code == 200
        and attached.json_body["incident"]["reference"] == incident.reference
    )
    again = rita.call("POST", f"/reports/{report.pk}/attach", {"incident": incident.reference})
    assert again.status_code == 409


def test_the_api_refuses_viewers_and_read_tokens(report, api_client, viewer, responder):
    assert api_client(viewer, scope="read").call("GET", "/reports").status_code == 403
    read = api_client(responder, scope="read")
    assert read.call("GET", "/reports").status_code == 200
    refused = read.call("POST", f"/reports/{report.pk}/dismiss", {"reason": "x"})
    assert refused.status_code == 403 and Report.objects.get().status == "new"


# Web ---------------------------------------------------------------------------------------


def test_the_queue_and_a_reports_page_show_what_the_sender_wrote(report, client, responder):
    client.force_login(responder)
    page = client.get("/alerts/reports")
    assert page.status_code == 200
    assert report.reference in page.text and "Checkout fails with “payment declined”" in page.text
    detail = client.get(f"/alerts/reports/{report.pk}")
    assert detail.status_code == 200
    assert "every card payment at checkout is declined" in detail.text
    assert "Declare an incident" in detail.text and "Dismiss" in detail.text


def test_the_web_declares_from_a_report_and_lands_on_the_incident(report, client, responder):
    client.force_login(responder)
    answer = client.post(
        f"/alerts/reports/{report.pk}/declare",
        {"title": "Card payments declined", "severity": "major", "criteria": ["multiple_users"]},
    )
    incident = Incident.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/incidents/{incident.reference}"
    assert incident.title == "Card payments declined" and incident.criteria == ["multiple_users"]
    assert incident.report_medium == "email"


def test_the_web_dismiss_form_without_a_reason_says_so_next_to_the_field(report, client, responder):
    client.force_login(responder)
    answer = client.post(f"/alerts/reports/{report.pk}/dismiss", {"reason": ""})
    assert answer.status_code == 422 and "This field is required" in answer.text
    assert '<details class="decision" open>' in answer.text
    assert Report.objects.get().status == "new"
    done = client.post(f"/alerts/reports/{report.pk}/dismiss", {"reason": "spam"})
    assert done.status_code == 302 and done["Location"] == "/alerts/reports"


def test_the_web_attach_lists_open_incidents_and_attaches(report, client, responder, incident):
    client.force_login(responder)
    assert incident.reference in client.get(f"/alerts/reports/{report.pk}").text
    answer = client.post(f"/alerts/reports/{report.pk}/attach", {"incident": incident.reference})
    assert answer.status_code == 302
    assert Report.objects.get().incident == incident


def test_viewers_get_403_from_the_triage_pages(report, client, viewer):
    client.force_login(viewer)
    assert client.get("/alerts/reports").status_code == 403
    assert client.get(f"/alerts/reports/{report.pk}").status_code == 403
    assert client.post(f"/alerts/reports/{report.pk}/dismiss", {"reason": "x"}).status_code == 403
    assert Report.objects.get().status == "new"


# The same decision through each door ---------------------------------------------------------


def _declared_entries(incident, report) -> list[tuple]:
    """The incident's entries, without what differs by nature (its and the report's ids)."""
    return [
        (e.kind, e.body.replace(incident.reference, "INC").replace(report.reference, "R"))
        for e in TimelineEntry.objects.filter(incident=incident).order_by("occurred_at", "id")
    ]


def test_declaring_through_the_web_or_the_api_leaves_the_same_timeline(
    help_desk, client, rita, responder
):
    by_web = reports.report_receive(integration=help_desk, raw=mails.latin1()).report
    by_api = reports.report_receive(
        integration=help_desk,
        raw=mails.latin1().replace(b"20261130.0912.1@", b"20261130.0912.2@"),
    ).report
    client.force_login(responder)
    client.post(f"/alerts/reports/{by_web.pk}/declare", {"title": "Slow", "severity": "major"})
    rita.call("POST", f"/reports/{by_api.pk}/declare", {"severity": "major", "title": "Slow"})
    web, api = (Report.objects.get(pk=r.pk).incident for r in (by_web, by_api))
    assert _declared_entries(web, by_web) == _declared_entries(api, by_api)
    assert {e.source for e in TimelineEntry.objects.filter(incident=web)} == {"web"}
    assert {e.source for e in TimelineEntry.objects.filter(incident=api)} == {"api"}
    assert (web.reported_by, web.report_medium) == (api.reported_by, api.report_medium)


def test_a_restricted_incident_a_report_joined_is_not_named_to_those_who_cannot_see_it(
    report, admin, declare, rita, client, responder
):
    hidden = declare(actor=admin, title="Breach", security=True, criteria=["security"])
    reports.report_attach(actor=admin, source=WEB, report_id=report.pk, incident=hidden.reference)
    listed = rita.call("GET", "/reports?status=all").json_body["items"]
    assert [r["incident"] for r in listed] == [None]
    assert rita.call("GET", f"/reports/{report.pk}").json_body["incident"] is None
    client.force_login(responder)
    for path in ("/alerts/reports?status=all", f"/alerts/reports/{report.pk}"):
        page = client.get(path)
        assert (
            page.status_code == 200
            and hidden.reference not in page.text
            and "Breach" not in page.text
        )
    client.force_login(admin)
    assert hidden.reference in client.get(f"/alerts/reports/{report.pk}").text

"""The lifecycle as teams run it: resolving resolves the publication too, leaving blocked goes
back to where the incident was, and a blocked incident can be closed until work resumes."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, TimelineEntry
from incidentdesk.incidents.services import (
    command_run,
    incident_close,
    incident_resolve,
    incident_set_status,
    resume_reminders_send,
    role_assign,
)
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.statuspage import public_site
from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.public_site import refresh_or_raise
from incidentdesk.statuspage.services import publication_create
from tests.factories import ComponentFactory

WEB = ActionSource.WEB


@pytest.fixture
def published(declare, responder, django_capture_on_commit_callbacks):
    """A live incident published with its API component in a partial outage."""
    public_site.cache.reset()
    api = ComponentFactory(name="API")
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()
        publication = publication_create(
            actor=responder,
            source=WEB,
            incident=incident,
            name="Payments are failing",
            message="We are looking into failed card payments.",
            status="monitoring",
            components={api.public_id: "partial_outage"},
        )
    return incident, publication, api


def summary() -> dict:
    refresh_or_raise()
    return json.loads(bytes(PublicDocument.objects.get(path="/api/v2/summary.json").body))


def status(incident, actor, target, **kwargs):
    return incident_set_status(actor=actor, source=WEB, incident=incident, status=target, **kwargs)


def entries(incident, kind="status_change"):
    return list(TimelineEntry.objects.filter(incident=incident, kind=kind).order_by("id"))


# -- resolving resolves publicly ------------------------------------------------------------


def test_resolving_a_published_incident_resolves_it_publicly_in_the_same_action(
    published, responder, django_capture_on_commit_callbacks
):
    incident, publication, api = published
    assert summary()["status"]["description"] == "Partial System Outage"
    with django_capture_on_commit_callbacks(execute=True):
        incident_resolve(
            actor=responder, source=WEB, incident=incident, message="Payments work again."
        )
    publication.refresh_from_db()
    api.refresh_from_db()
    assert publication.status == "resolved"
    assert publication.updates.order_by("-id").first().body == "Payments work again."
    assert api.status == "operational"
    page = summary()
    assert page["status"]["description"] == "All Systems Operational"
    assert page["incidents"] == []  # no longer "Partial System Outage … Monitoring"
    told = OutboxEvent.objects.filter(topic="incident.updated", to_subscribers=True)
    assert told.order_by("-id").first().payload["incident"]["status"] == "resolved"


def test_resolving_without_a_message_publishes_the_plain_words(published, responder):
    incident, publication, _ = published
    incident_resolve(actor=responder, source=WEB, incident=incident)
    assert publication.updates.order_by("-id").first().body == "This incident has been resolved."


def test_resolving_internally_only_leaves_the_status_page_as_it_is(published, responder):
    incident, publication, api = published
    incident = incident_resolve(
        actor=responder, source=WEB, incident=incident, message="ok", resolve_publicly=False
    )
    publication.refresh_from_db()
    api.refresh_from_db()
    assert (incident.status, publication.status, api.status) == (
        "resolved",
        "monitoring",
        "partial_outage",
    )


def test_a_refused_public_resolve_leaves_the_incident_unresolved(published, responder):
    incident, publication, _ = published
    with pytest.raises(ValidationError) as caught:
        incident_resolve(actor=responder, source=WEB, incident=incident, message="x" * 5_001)
    assert caught.value.field == "message"
    assert Incident.objects.get(pk=incident.pk).status == "investigating"
    publication.refresh_from_db()
    assert publication.status == "monitoring"


def test_the_resolve_command_and_the_api_resolve_publicly_unless_told_not_to(
    published, declare, responder, api_client, django_capture_on_commit_callbacks
):
    incident, publication, _ = published
    command_run(
        actor=responder, source=WEB, incident=incident, text="resolve --internal-only rolled back"
    )
    publication.refresh_from_db()
    assert publication.status == "monitoring"
    assert entries(incident)[-1].data["message"] == "rolled back"
    reopened = status(incident, responder, "investigating", reason="errors are back")
    command_run(actor=responder, source=WEB, incident=reopened, text="resolve All fixed.")
    publication.refresh_from_db()
    assert (publication.status, publication.updates.order_by("-id").first().body) == (
        "resolved",
        "All fixed.",
    )
    other = declare(title="Search is slow")
    other_pub = publication_create(
        actor=responder, source=WEB, incident=other, name="Slow search", message="Looking."
    )
    client = api_client(responder)
    path = f"/incidents/{other.reference}/status"
    body = {"status": "resolved", "message": "fine", "resolve_publicly": False}
    assert client.call("POST", path, body).status_code == 200
    other_pub.refresh_from_db()
    assert other_pub.status == "identified"


def test_the_resolve_form_shows_what_the_public_will_read(published, responder, client):
    incident, _, _ = published
    client.force_login(responder)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    form = page[page.index('id="resolve-popover"') :]
    form = form[: form.index("</details>")]
    assert "The public will read" in form and "Payments are failing" in form
    assert "This incident has been resolved." in form
    assert "Back to operational" in form and "API" in form
    assert 'name="internal_only"' in form
    response = client.post(
        f"/incidents/{incident.reference}/status",
        {"status": "resolved", "message": "Fixed the gateway.", "internal_only": "on"},
    )
    assert response.status_code == 302
    assert Incident.objects.get(pk=incident.pk).status == "resolved"
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert "Resolve on the status page" in page  # still open publicly, as asked


# -- leaving blocked ------------------------------------------------------------------------


def test_unblocking_goes_back_to_the_status_before_blocked_and_says_unblocked(
    declare, responder, client
):
    incident = status(declare(), responder, "identified")
    incident = status(incident, responder, "blocked", reason="waiting for the vendor")
    incident = status(incident, responder, "unblock")
    assert (incident.status, incident.status_reason, incident.blocked_until) == (
        "identified",
        "",
        None,
    )
    last = entries(incident)[-1]
    assert last.data["event"] == "unblocked"
    assert last.body.startswith("Unblocked: status blocked → identified")
    client.force_login(responder)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert "Re-opened" not in page


def test_the_lead_may_unblock_to_any_working_status_with_a_reason(declare, responder, client):
    incident = status(declare(), responder, "monitoring")
    incident = status(incident, responder, "blocked", reason="vendor")
    incident = command_run(
        actor=responder, source=WEB, incident=incident, text="unblock investigating it is back"
    ).incident
    assert (incident.status, incident.status_reason) == ("investigating", "it is back")
    assert entries(incident)[-1].data["event"] == "unblocked"
    client.force_login(responder)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert "Unblocked: it is back" in page and "Re-opened" not in page


# -- closing while blocked ------------------------------------------------------------------


def test_the_lead_closes_a_blocked_incident_until_work_resumes_and_can_reopen_it(
    declare, make_user, responder
):
    lena = make_user(username="lena")
    incident = declare(severity="critical")  # a postmortem would be required to close for good
    role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=lena)
    incident = status(incident, lena, "identified")
    resume = timezone.localdate() + timedelta(days=14)
    incident = status(incident, lena, "blocked", reason="needs the Q3 release")
    incident = incident_close(actor=lena, source=WEB, incident=incident, blocked_until=resume)
    assert (incident.status, incident.blocked_until, incident.closed_at) == (
        "closed_blocked",
        resume,
        None,
    )
    assert incident.status_reason == "needs the Q3 release"
    assert not Incident.objects.open().filter(pk=incident.pk).exists()
    assert entries(incident)[-1].data["event"] == "closed while blocked"
    incident = status(incident, lena, "unblock")
    assert (incident.status, incident.blocked_until) == ("identified", None)
    assert Incident.objects.open().filter(pk=incident.pk).exists()


def test_closing_while_blocked_needs_the_date_and_the_lead_or_a_manager(
    declare, make_user, responder, manager
):
    incident = status(declare(), responder, "blocked", reason="vendor")
    with pytest.raises(ValidationError) as caught:
        incident_close(actor=manager, source=WEB, incident=incident)
    assert caught.value.field == "blocked_until"
    later = timezone.localdate() + timedelta(days=3)
    with pytest.raises(PermissionDenied):
        incident_close(actor=responder, source=WEB, incident=incident, blocked_until=later)
    closed = incident_close(actor=manager, source=WEB, incident=incident, blocked_until=later)
    assert closed.status == "closed_blocked"


def test_the_lead_is_reminded_once_on_the_day_work_resumes(
    declare, make_user, responder, manager, django_capture_on_commit_callbacks
):
    lena = make_user(username="lena", email="lena@example.com")
    incident = declare()
    role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=lena)
    resume = timezone.localdate() + timedelta(days=2)
    incident = status(incident, lena, "blocked", reason="vendor", blocked_until=resume)
    incident_close(actor=lena, source=WEB, incident=incident)
    on_the_day = timezone.now() + timedelta(days=2)
    assert resume_reminders_send(now=on_the_day - timedelta(days=1)) == 0
    with django_capture_on_commit_callbacks(execute=True):
        assert resume_reminders_send(now=on_the_day) == 1
    assert resume_reminders_send(now=on_the_day + timedelta(hours=3)) == 0
    event = OutboxEvent.objects.get(topic="incident.resume_due")
    assert event.staff_emails == ["lena@example.com"]
    assert f"Work resumes today: {incident.title}" in event.payload["email"]["subject"]
    assert "vendor" in event.payload["email"]["text"]


def test_the_close_command_takes_the_resume_date_for_a_blocked_incident(declare, manager):
    incident = status(declare(), manager, "blocked", reason="vendor")
    resume = timezone.localdate() + timedelta(days=7)
    result = command_run(
        actor=manager, source=WEB, incident=incident, text=f"close {resume.isoformat()} parked"
    )
    assert (result.incident.status, result.incident.blocked_until) == ("closed_blocked", resume)
    assert result.reply == f"{incident.reference} is closed while blocked."
    assert entries(incident)[-1].data["reason"] == "parked"

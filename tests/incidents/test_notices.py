"""The desk's change notices and the resume reminders carry what happened; the email words
are what the renderer registered for the topic makes of that data."""

from datetime import timedelta

from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_close, incident_set_status, role_assign
from incidentdesk.incidents.services.lifecycle import resume_reminders_send
from incidentdesk.notifications import registry
from incidentdesk.notifications.models import OutboxEvent

WEB = ActionSource.WEB


def _worded_again(event: OutboxEvent) -> dict | None:
    return registry.words_for(event.topic, registry.data_of(event.payload), "email")


def test_a_desk_change_notice_carries_the_change_and_its_words_come_from_it(
    declare, make_user, responder, manager
):
    make_user(username="dana", email="dana@example.com", on_responders_desk=True)
    incident = declare()
    role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=manager)
    event = OutboxEvent.objects.get(topic="incident.desk_change")
    assert event.payload["change"] == {"field": "lead", "from": None, "to": manager.display_name}
    assert event.payload["incident"]["reference"] == incident.reference
    assert _worded_again(event) == event.payload["email"]
    assert event.payload["email"]["subject"] == (
        f"[Major] {incident.reference} has a new lead, {manager.display_name}: {incident.title}"
    )
    assert f"Lead: nobody → {manager.display_name}" in event.payload["email"]["text"]


def test_a_resume_reminder_carries_the_day_and_its_words_come_from_it(declare, manager):
    incident = incident_set_status(
        actor=manager,
        source=WEB,
        incident=declare(),
        status="blocked",
        reason="vendor",
        blocked_until=timezone.localdate() + timedelta(days=1),
    )
    incident_close(actor=manager, source=WEB, incident=incident)
    assert resume_reminders_send(now=timezone.now() + timedelta(days=3)) == 1
    event = OutboxEvent.objects.get(topic="incident.resume_due")
    resume_on = incident.blocked_until.isoformat()
    assert (event.payload["resume_on"], event.payload["incident"]["status"]) == (
        resume_on,
        "closed_blocked",
    )
    assert _worded_again(event) == event.payload["email"]
    assert event.payload["email"]["subject"] == (
        f"[{incident.reference}] Work was to resume {resume_on}: {incident.title}"
    )
    assert "(2 days ago)" in event.payload["email"]["text"]

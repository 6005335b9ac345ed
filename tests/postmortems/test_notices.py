"""A meeting's invites and the review digest carry their facts; the email words are what the
renderer registered for the topic makes of that data."""

from datetime import datetime
from zoneinfo import ZoneInfo

from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications import registry
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.postmortems.meetings import MEETING_TOPIC, meeting_ics, meeting_schedule
from incidentdesk.postmortems.review import DIGEST_TOPIC, review_digest_send

WEB = ActionSource.WEB


def _worded_again(event: OutboxEvent) -> dict | None:
    return registry.words_for(event.topic, registry.data_of(event.payload), "email")


def test_an_invite_carries_the_meeting_and_its_words_come_from_it(started, manager, settings):
    settings.REPORTING_TIME_ZONE = "Europe/Paris"
    meeting = meeting_schedule(
        actor=manager,
        source=WEB,
        postmortem=started(),
        starts_at=datetime(2026, 3, 4, 14, 0, tzinfo=ZoneInfo("Europe/Paris")),
        duration_minutes=30,
        attendees="rita",
    )
    event = OutboxEvent.objects.get(topic=MEETING_TOPIC)
    assert event.payload["meeting"] == meeting.pk and event.payload["duration_minutes"] == 30
    assert event.payload["ics"] == meeting_ics(meeting).decode()
    assert _worded_again(event) == event.payload["email"]
    text = event.payload["email"]["text"]
    assert "When: 2026-03-04 14:00 Europe/Paris (30 minutes)\nOrganizer: " in text


def test_the_digest_carries_its_week_and_its_words_come_from_it(manager):
    assert review_digest_send(force=True) is True
    event = OutboxEvent.objects.get(topic=DIGEST_TOPIC)
    assert set(registry.data_of(event.payload)) == {"week", "today"}
    assert _worded_again(event) == event.payload["email"]
    assert event.payload["email"]["subject"] == (
        f"Weekly review of improvement actions ({event.payload['week']})"
    )

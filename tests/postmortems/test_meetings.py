from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.postmortems.meetings import MEETING_TOPIC, meeting_ics, meeting_schedule
from incidentdesk.postmortems.models import RootCauseMeeting

WEB = ActionSource.WEB
PARIS = ZoneInfo("Europe/Paris")
STARTS = datetime(2026, 3, 4, 14, 0, tzinfo=PARIS)  # 13:00 UTC


def _schedule(postmortem, actor, **fields):
    fields.setdefault("starts_at", STARTS)
    fields.setdefault("duration_minutes", 45)
    fields.setdefault("attendees", ["rita", "omar"])
    fields.setdefault("location", "https://meet.example/rca")
    return meeting_schedule(actor=actor, source=WEB, postmortem=postmortem, **fields)


@pytest.fixture
def omar(make_user):
    return make_user(username="omar", email="omar@example.com", first_name="Omar")


def _event(ics: bytes):
    calendar = icalendar.Calendar.from_ical(ics)
    [event] = calendar.walk("VEVENT")
    return calendar, event


def test_each_attendee_gets_one_invite_email(started, responder, omar, manager):
    meeting = _schedule(started(), manager)
    events = OutboxEvent.objects.filter(topic=MEETING_TOPIC).order_by("id")
    assert [e.staff_emails for e in events] == [[responder.email], [omar.email]]
    ref = meeting.postmortem.incident.reference
    text = events[1].payload["email"]["text"]
    assert "Hello Omar" in text and "45 minutes" in text
    assert f"/incidents/{ref}/postmortem/meeting.ics" in text
    assert events[0].payload["email"]["subject"].startswith("Invitation: Root-cause meeting")


def test_the_invite_is_a_request_in_utc_with_organizer_and_attendees(started, manager, omar):
    meeting = _schedule(started(), manager)
    calendar, event = _event(meeting_ics(meeting))
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == meeting.uid
    assert event.decoded("DTSTART") == datetime(2026, 3, 4, 13, 0, tzinfo=ZoneInfo("UTC"))
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=45)
    assert event.to_ical().decode().count("DTSTART:20260304T130000Z") == 1
    assert str(event["ORGANIZER"]) == f"mailto:{manager.email}"
    attendees = sorted(str(a) for a in event["ATTENDEE"])
    assert attendees == ["mailto:omar@example.com", "mailto:rita@example.com"]
    assert str(event["LOCATION"]) == "https://meet.example/rca"


def test_the_markdown_export_names_the_meeting(started, manager, omar):
    from incidentdesk.postmortems.present import to_markdown

    meeting = _schedule(started(), manager)
    text = to_markdown(meeting.postmortem)
    assert "## Root-cause meeting" in text and "26-03-04 13:00 (UTC), 45 minutes" in text


def test_the_outbox_event_carries_the_same_invite(started, manager, omar):
    meeting = _schedule(started(), manager)
    event = OutboxEvent.objects.filter(topic=MEETING_TOPIC).first()
    _, parsed = _event(event.payload["ics"].encode())
    assert parsed["UID"] == meeting.uid


def test_moving_the_meeting_keeps_its_uid_and_raises_the_sequence(started, manager, omar):
    postmortem = started()
    first = _schedule(postmortem, manager)
    moved = _schedule(postmortem, manager, starts_at=STARTS + timedelta(days=1), attendees="rita")
    assert moved.pk == first.pk and moved.uid == first.uid
    _, event = _event(meeting_ics(moved))
    assert event["SEQUENCE"] == 1 and [str(event["ATTENDEE"])] == ["mailto:rita@example.com"]
    assert RootCauseMeeting.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"starts_at": 1700000000}, "starts_at"),
        ({"starts_at": "tomorrow"}, "starts_at"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": "long"}, "duration_minutes"),
        ({"attendees": []}, "attendees"),
        ({"attendees": ["ghost"]}, "attendees"),
    ],
)
def test_bad_meeting_input_is_refused_naming_the_field(started, manager, fields, field):
    with pytest.raises((ValidationError, NotFound)) as error:
        _schedule(started(), manager, **fields)
    assert error.value.field == field
    assert (
        not RootCauseMeeting.objects.exists()
        and not OutboxEvent.objects.filter(topic=MEETING_TOPIC).exists()
    )


def test_a_viewer_cannot_schedule_the_meeting(started, viewer):
    with pytest.raises(PermissionDenied):
        _schedule(started(), viewer, attendees=["rita"])


def test_the_invite_is_downloadable_from_the_page(started, manager, omar, client):
    postmortem = started()
    ref = postmortem.incident.reference
    client.force_login(manager)
    assert client.get(f"/incidents/{ref}/postmortem/meeting.ics").status_code == 404
    response = client.post(
        f"/incidents/{ref}/postmortem/meeting",
        {"starts_at": "2026-03-04T14:00", "duration_minutes": "30", "attendees": "rita omar"},
    )
    assert response.status_code == 302
    download = client.get(f"/incidents/{ref}/postmortem/meeting.ics")
    assert download["Content-Type"].startswith("text/calendar")
    _, event = _event(download.content)
    assert event["UID"] == RootCauseMeeting.objects.get().uid
    assert "Root-cause meeting" in client.get(f"/incidents/{ref}/postmortem").content.decode()


def test_the_meeting_through_the_api(started, manager, omar, api_client):
    ref = started().incident.reference
    client = api_client(manager)
    body = {"starts_at": "2026-03-04T14:00:00+01:00", "duration_minutes": 60, "attendees": ["omar"]}
    response = client.call("PUT", f"/incidents/{ref}/postmortem/meeting", body)
    assert response.status_code == 200 and response.json_body["attendees"] == ["omar"]
    shown = client.call("GET", f"/incidents/{ref}/postmortem").json_body["meeting"]
    assert shown["uid"] == response.json_body["uid"] and shown["attendees"] == ["omar"]
    bad = client.call("PUT", f"/incidents/{ref}/postmortem/meeting", {**body, "attendees": []})
    assert bad.status_code == 422 and bad.json_body["field"] == "attendees"


def test_a_time_typed_without_an_offset_is_read_in_the_reporting_time_zone(
    started, manager, omar, client, settings
):
    settings.REPORTING_TIME_ZONE = "Asia/Tokyo"  # UTC+9, unlike the server's own zone
    ref = started().incident.reference
    client.force_login(manager)
    response = client.post(
        f"/incidents/{ref}/postmortem/meeting",
        {"starts_at": "2026-03-04T10:00", "duration_minutes": "30", "attendees": "rita omar"},
    )
    assert response.status_code == 302
    meeting = RootCauseMeeting.objects.get()
    assert meeting.starts_at == datetime(2026, 3, 4, 1, 0, tzinfo=ZoneInfo("UTC"))
    page = client.get(f"/incidents/{ref}/postmortem").content.decode()
    assert "26-03-04 10:00" in page and 'value="2026-03-04T10:00"' in page


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("2026-03-29", "YYYY-MM-DD HH:MM"), ("2026-03-29 02:30", "does not exist in Europe/Paris")],
)
def test_a_bare_date_or_a_time_the_clocks_skip_is_refused(
    started, manager, omar, settings, typed, problem
):
    settings.REPORTING_TIME_ZONE = "Europe/Paris"  # clocks go forward at 02:00 on 2026-03-29
    with pytest.raises(ValidationError) as error:
        _schedule(started(), manager, starts_at=typed)
    assert error.value.field == "starts_at" and problem in error.value.message
    assert not RootCauseMeeting.objects.exists()


def test_the_api_refuses_a_bare_date_for_the_meeting(started, manager, omar, api_client):
    ref = started().incident.reference
    body = {"starts_at": "2026-11-28", "attendees": ["omar"]}
    response = api_client(manager).call("PUT", f"/incidents/{ref}/postmortem/meeting", body)
    assert response.status_code == 422 and response.json_body["field"] == "starts_at"
    assert not RootCauseMeeting.objects.exists()

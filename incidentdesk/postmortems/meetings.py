"""The root-cause meeting of a postmortem: scheduled from it, invites sent by email.

Each attendee gets one email through the outbox with the meeting's time and a link to the
iCalendar invite (METHOD:REQUEST, a UID stable per meeting, times in UTC), which is also
downloadable at /incidents/<ref>/postmortem/meeting.ics; the email carries it as an
attachment too (the event's `ics`, which the email channel attaches). The event carries the
meeting's facts; `invite_email` words it when it is emitted (templates
postmortems/email/meeting_invite*.txt). A time without an offset is read in the reporting time
zone."""

import uuid
import zoneinfo
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import icalendar
from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.moments import in_window
from incidentdesk.core.reporting import reporting_zone
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.services.access import require_may_see
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.outbox import emit
from incidentdesk.postmortems.models import Postmortem, RootCauseMeeting

MEETING_TOPIC = "postmortem.meeting"
MEETING_PAST, MEETING_AHEAD = timedelta(days=366), timedelta(days=731)
DURATION_LIMITS = (5, 8 * 60)
ATTENDEES_MAX = 100


def _attendees(handles: Any) -> list:
    if isinstance(handles, str):
        handles = handles.replace(",", " ").split()
    users = []
    for handle in handles or []:
        try:
            user = handle if hasattr(handle, "pk") else user_by_handle(handle)
        except (NotFound, ValidationError) as exc:
            raise type(exc)(exc.message, field="attendees") from None
        if user not in users:
            users.append(user)
    if not users:
        raise ValidationError("invite at least one person", field="attendees")
    if len(users) > ATTENDEES_MAX:
        raise ValidationError(f"at most {ATTENDEES_MAX} people", field="attendees")
    return users


def meeting_of(postmortem: Postmortem) -> RootCauseMeeting | None:
    return RootCauseMeeting.objects.filter(postmortem=postmortem).first()


def meeting_json(meeting: RootCauseMeeting) -> dict[str, Any]:
    """The meeting as the API shows it (on its own and inside the postmortem)."""
    return {
        "uid": meeting.uid,
        "sequence": meeting.sequence,
        "starts_at": meeting.starts_at,
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "attendees": sorted(u.username for u in meeting.attendees.all()),
    }


def meeting_time(value: Any) -> datetime:
    """When the meeting starts: an aware datetime, or a datetime or text (`YYYY-MM-DD HH:MM`,
    a `T` also accepted) without an offset, read in the reporting time zone: the zone the
    page shows and the team works in, whatever the server's own is. A local time the clocks
    skip (spring forward) is refused; one they pass twice (fall back) is the first."""
    wanted = "must be a date and time (YYYY-MM-DD HH:MM)"
    if isinstance(value, str):
        text = value.strip()
        if len(text) < 16:  # a bare date would silently mean midnight
            raise ValidationError(wanted, field="starts_at")
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            raise ValidationError(wanted, field="starts_at") from None
    if not isinstance(value, datetime):
        raise ValidationError(wanted, field="starts_at")
    out_of_range = ValidationError(
        "must be within a year before and two years after today", field="starts_at"
    )
    now = timezone.now()
    if not in_window(value):  # checked before it is moved between zones, which could overflow
        raise out_of_range
    if timezone.is_naive(value):
        zone = reporting_zone()
        local = value.replace(tzinfo=zone)
        if local.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value:
            raise ValidationError(
                f"{value:%Y-%m-%d %H:%M} does not exist in {zone.key}: the clocks skip it",
                field="starts_at",
            )
        value = local
    if not now - MEETING_PAST <= value <= now + MEETING_AHEAD:
        raise out_of_range
    return value


def _check(starts_at: Any, duration_minutes: Any) -> tuple[datetime, int]:
    starts_at = meeting_time(starts_at)
    try:
        duration = int(duration_minutes)
    except (TypeError, ValueError):
        raise ValidationError("must be a number of minutes", field="duration_minutes") from None
    low, high = DURATION_LIMITS
    if not low <= duration <= high:
        raise ValidationError(f"must be {low} to {high} minutes", field="duration_minutes")
    return starts_at, duration


def meeting_schedule(
    *,
    actor,
    source: ActionSource,
    postmortem: Postmortem,
    starts_at: datetime | str,
    duration_minutes: int = 60,
    attendees: Any,
    location: str = "",
) -> RootCauseMeeting:
    """Schedule (or move) the root-cause meeting and email each attendee an invite."""
    require(actor, Perm.POSTMORTEM_EDIT)
    starts_at, duration = _check(starts_at, duration_minutes)
    location = check_text(location, field="location", max_length=500)
    people = _attendees(attendees)
    require_may_see(people, postmortem.incident, field="attendees")
    with transaction.atomic():
        meeting = meeting_of(postmortem)
        if meeting is None:
            host = urlsplit(settings.BASE_URL).hostname or "incidentdesk"
            meeting = RootCauseMeeting(postmortem=postmortem, uid=f"{uuid.uuid4()}@{host}")
        else:
            meeting.sequence += 1
        meeting.starts_at, meeting.duration_minutes = starts_at, duration
        meeting.location, meeting.organizer = location, actor
        meeting.save()
        meeting.attendees.set(people)
        record_entry(
            incident=postmortem.incident,
            kind=EntryKind.EVENT,
            body=f"Root-cause meeting scheduled for {_local(starts_at)} ({duration} min)",
            actor=actor,
            source=source,
            data={"postmortem": {"meeting": meeting.pk}},
        )
        ics = meeting_ics(meeting).decode()
        for person in people:
            if person.email:
                emit(
                    topic=MEETING_TOPIC,
                    payload={**_invite_facts(meeting, person), "ics": ics},
                    staff_emails=[person.email],
                )
    return meeting


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(reporting_zone()):%Y-%m-%d %H:%M} {settings.REPORTING_TIME_ZONE}"


def _summary(meeting: RootCauseMeeting) -> str:
    incident = meeting.postmortem.incident
    return f"Root-cause meeting: {incident.reference} {incident.title}"


def _postmortem_url(reference: str) -> str:
    return f"{settings.BASE_URL}/incidents/{reference}/postmortem"


def ics_url(meeting: RootCauseMeeting) -> str:
    return f"{_postmortem_url(meeting.postmortem.incident.reference)}/meeting.ics"


def _invite_facts(meeting: RootCauseMeeting, person) -> dict[str, Any]:
    """What an attendee's invite says, as the meeting is when it is sent."""
    incident = meeting.postmortem.incident
    return {
        "meeting": meeting.pk,
        "reference": incident.reference,
        "title": incident.title,
        "starts_at": meeting.starts_at.isoformat(),
        "duration_minutes": meeting.duration_minutes,
        "location": meeting.location,
        "organizer": meeting.organizer.display_name if meeting.organizer else None,
        "attendee": person.display_name,
    }


def invite_email(data: dict) -> dict[str, str]:
    """Subject and text of an attendee's invite: the meeting's time in the reporting time zone,
    its place, its organizer, and links to the calendar invite and to the postmortem."""
    postmortem_url = _postmortem_url(data["reference"])
    context = {
        **data,
        "when": _local(datetime.fromisoformat(data["starts_at"])),
        "ics_url": f"{postmortem_url}/meeting.ics",
        "postmortem_url": postmortem_url,
    }
    return {
        "subject": render_to_string(
            "postmortems/email/meeting_invite_subject.txt", context
        ).strip(),
        "text": render_to_string("postmortems/email/meeting_invite.txt", context),
    }


def _address(user) -> icalendar.vCalAddress:
    address = icalendar.vCalAddress(f"mailto:{user.email}")
    address.params["CN"] = icalendar.vText(user.display_name)
    return address


def meeting_ics(meeting: RootCauseMeeting) -> bytes:
    """The meeting as an iCalendar invite (METHOD:REQUEST, times in UTC)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//IncidentDesk//Root-cause meeting//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = icalendar.Event()
    start = meeting.starts_at.astimezone(zoneinfo.ZoneInfo("UTC"))
    event.add("uid", meeting.uid)
    event.add("sequence", meeting.sequence)
    event.add("dtstamp", meeting.updated_at.astimezone(zoneinfo.ZoneInfo("UTC")))
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=meeting.duration_minutes))
    event.add("summary", _summary(meeting))
    event.add("description", f"Postmortem: {ics_url(meeting).removesuffix('/meeting.ics')}")
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.organizer and meeting.organizer.email:
        event.add("organizer", _address(meeting.organizer))
    for person in meeting.attendees.order_by("username"):
        if person.email:
            attendee = _address(person)
            attendee.params.update(
                {"ROLE": "REQ-PARTICIPANT", "PARTSTAT": "NEEDS-ACTION", "RSVP": "TRUE"}
            )
            event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    return calendar.to_ical()

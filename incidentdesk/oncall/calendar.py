"""iCalendar export of on-call shifts, per schedule and per person, at a secret URL.

The URL is `/oncall/calendar/<token>.ics`, the token `<feed id>-<HMAC>`: an HMAC under
SECRET_KEY of the CalendarFeed row and its generation, compared in constant time. Nothing
secret is stored, and a reset (services.calendar_feed_reset raises the generation) makes every
earlier URL stop working. The feed holds concrete events (no recurrence rules) for the shifts
from WINDOW_BEFORE ago to WINDOW_AFTER ahead, times in UTC; each event's UID is made of its
schedule, person and start, so it stays the same from one fetch to the next.
"""

from datetime import UTC, datetime, timedelta

import icalendar
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from incidentdesk.accounts.models import User
from incidentdesk.oncall.models import CalendarFeed, Schedule
from incidentdesk.oncall.resolution import Shift, person_shifts, schedule_shifts

WINDOW_BEFORE = timedelta(days=7)
WINDOW_AFTER = timedelta(days=90)
# Shifts are computed this much wider on each side, so one running over an end of the window
# keeps its real start and end (and so its UID) unless it is longer than this.
MARGIN = timedelta(days=30)
SALT = "incidentdesk.oncall.calendar"
PRODID = "-//IncidentDesk//On-call//EN"


def feed_for(*, schedule: Schedule | None = None, user: User | None = None) -> CalendarFeed:
    """The calendar feed of a schedule or a person, made on first use. The row only names the
    feed (the URL is derived from it), so making it is not a change anyone sees."""
    owner = {"schedule": schedule} if schedule is not None else {"user": user}
    feed, _ = CalendarFeed.objects.get_or_create(**owner)
    return feed


def _mac(feed_id: int, generation: int) -> str:
    return salted_hmac(SALT, f"{feed_id}:{generation}", algorithm="sha256").hexdigest()[:40]


def feed_token(feed: CalendarFeed) -> str:
    return f"{feed.pk}-{_mac(feed.pk, feed.generation)}"


def feed_path(feed: CalendarFeed) -> str:
    return reverse("oncall_calendar_feed", args=[feed_token(feed)])


def feed_url(feed: CalendarFeed) -> str:
    """The feed's full URL under BASE_URL (the web pages use the address they were asked at)."""
    return settings.BASE_URL.rstrip("/") + feed_path(feed)


def feed_by_token(token: str) -> CalendarFeed | None:
    """The feed a token opens, or None: a token of an earlier generation, of another feed or
    made up opens nothing."""
    feed_id, _, mac = (token or "").partition("-")
    if not feed_id.isascii() or not feed_id.isdigit() or len(feed_id) > 18:
        return None
    feed = CalendarFeed.objects.select_related("schedule", "user").filter(pk=int(feed_id)).first()
    if feed is None or not constant_time_compare(mac, _mac(feed.pk, feed.generation)):
        return None
    if feed.user is not None and not feed.user.is_active:
        return None
    return feed


def feed_shifts(feed: CalendarFeed, now: datetime) -> list[Shift]:
    """The shifts the feed shows: those overlapping the window around `now`."""
    start, end = now - WINDOW_BEFORE, now + WINDOW_AFTER
    if feed.schedule is not None:
        shifts = schedule_shifts(feed.schedule, start - MARGIN, end + MARGIN)
    else:
        assert feed.user is not None  # a feed has one owner (a check constraint)
        shifts = person_shifts(feed.user, start - MARGIN, end + MARGIN)
    return [s for s in shifts if s.start < end and s.end > start]


def feed_ics(feed: CalendarFeed, now: datetime | None = None) -> bytes:
    """The feed as an iCalendar document."""
    now = now or timezone.now()
    shifts = feed_shifts(feed, now)
    names = dict(
        User.objects.filter(pk__in={s.user_id for s in shifts}).values_list("pk", "username")
    )
    schedules = dict(
        Schedule.objects.filter(pk__in={s.schedule_id for s in shifts}).values_list("pk", "name")
    )
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    if feed.schedule is not None:
        owner = feed.schedule.name
    else:
        assert feed.user is not None  # a feed has one owner (a check constraint)
        owner = feed.user.username
    calendar.add("x-wr-calname", f"On call: {owner}")
    stamp = feed.created_at.astimezone(UTC).replace(microsecond=0)
    for shift in shifts:
        event = icalendar.Event()
        event.add("uid", shift_uid(shift))
        event.add("dtstamp", stamp)
        event.add("dtstart", shift.start.astimezone(UTC))
        event.add("dtend", shift.end.astimezone(UTC))
        schedule = schedules.get(shift.schedule_id, "")
        if feed.schedule is not None:
            event.add("summary", f"{names.get(shift.user_id, '?')} on call ({schedule})")
        else:
            event.add("summary", f"On call: {schedule}")
        event.add("transp", "OPAQUE")
        calendar.add_component(event)
    return calendar.to_ical()


def shift_uid(shift: Shift) -> str:
    start = shift.start.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"oncall-{shift.schedule_id}-{shift.user_id}-{start}@incidentdesk"

"""The iCalendar export at a secret URL, per schedule and per person: parsed back with
`icalendar`, its events are the shifts (across a daylight-saving change too), its UIDs stay the
same between fetches, and a wrong, altered or reset token is a 404."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall import calendar
from incidentdesk.oncall.resolution import person_shifts, schedule_shifts
from incidentdesk.oncall.services import (
    calendar_feed_reset,
    layer_add,
    override_add,
    schedule_create,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


def rotation(manager, name: str, zone: str, people: list[str], start: date, **extra):
    schedule = schedule_create(actor=manager, source=WEB, name=name, time_zone=zone)
    layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=people,
        rotation_start=start,
        handoff_time="09:00",
        **extra,
    )
    return schedule


def fetch(client, feed) -> icalendar.Calendar:
    response = client.get(calendar.feed_path(feed))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def events(parsed: icalendar.Calendar) -> list[tuple[str, datetime, datetime, str]]:
    return sorted(
        (
            str(e["summary"]),
            e.decoded("dtstart"),
            e.decoded("dtend"),
            str(e["uid"]),
        )
        for e in parsed.walk("VEVENT")
    )


@pytest.mark.parametrize(
    ("zone", "change"),
    [("Europe/Berlin", date(2026, 10, 25)), ("America/New_York", date(2026, 3, 8))],
)
def test_a_schedules_feed_holds_its_shifts_across_a_clock_change(
    client, manager, crew, zone, change
):
    schedule = rotation(manager, "Primary", zone, ["ana", "ben"], change - timedelta(days=20))
    now = datetime.combine(change, time(12), tzinfo=ZoneInfo(zone))
    feed = calendar.feed_for(schedule=schedule)
    body = calendar.feed_ics(feed, now=now)
    parsed = icalendar.Calendar.from_ical(body)
    found = events(parsed)
    start, end = now - calendar.WINDOW_BEFORE, now + calendar.WINDOW_AFTER
    shifts = [
        s
        for s in schedule_shifts(schedule, start - timedelta(days=2), end + timedelta(days=2))
        if s.start < end and s.end > start
    ]
    names = {crew[0].pk: "ana", crew[1].pk: "ben"}
    assert [(f[0], f[1], f[2]) for f in found] == sorted(
        (f"{names[s.user_id]} on call (Primary)", s.start, s.end) for s in shifts
    )
    # Times are in UTC, and the turn over the change lasts 25 or 23 hours.
    assert all(f[1].tzinfo is not None and f[1].utcoffset() == timedelta(0) for f in found)
    over = next(f for f in found if f[1].date() == change - timedelta(days=1))
    assert over[2] - over[1] == timedelta(hours=25 if change.month == 10 else 23)
    assert parsed["x-wr-calname"] == "On call: Primary"
    assert all("dtstamp" in e for e in parsed.walk("VEVENT"))


def test_uids_stay_the_same_from_one_fetch_to_the_next(client, manager, crew):
    schedule = rotation(manager, "Primary", "UTC", ["ana", "ben"], date(2026, 1, 1))
    feed = calendar.feed_for(schedule=schedule)
    first = events(fetch(client, feed))
    again = events(fetch(client, feed))
    assert first == again and len(first) > 90
    assert len({e[3] for e in first}) == len(first)
    # A day later, the shifts both fetches show keep their UIDs.
    later = events(
        icalendar.Calendar.from_ical(
            calendar.feed_ics(feed, now=timezone.now() + timedelta(days=1))
        )
    )
    assert set(later) & set(first) and {e[3] for e in later} - {e[3] for e in first}
    common = {e[3]: e for e in later} | {}
    assert all(common[e[3]] == e for e in first if e[3] in common)


def test_a_persons_feed_holds_their_shifts_in_every_schedule(client, manager, crew):
    today = timezone.now().date()
    first = rotation(manager, "Primary", "Europe/Berlin", ["ana", "ben"], today)
    rotation(manager, "Secondary", "America/New_York", ["ben", "ana"], today)
    rotation(manager, "Other", "UTC", ["cat"], today)
    now = timezone.now()
    override_add(
        actor=manager,
        source=WEB,
        schedule=first,
        user="ana",
        start=now + timedelta(days=40, hours=1),
        end=now + timedelta(days=40, hours=3),
    )
    feed = calendar.feed_for(user=crew[0])
    found = events(fetch(client, feed))
    start, end = now - calendar.WINDOW_BEFORE, now + calendar.WINDOW_AFTER
    shifts = [
        s
        for s in person_shifts(crew[0], start - timedelta(days=2), end + timedelta(days=2))
        if s.start < end and s.end > start
    ]
    assert {e[0] for e in found} == {"On call: Primary", "On call: Secondary"}
    assert sorted((e[1], e[2]) for e in found) == sorted(
        (s.start.replace(microsecond=0), s.end.replace(microsecond=0)) for s in shifts
    )


def test_a_wrong_altered_or_reset_token_is_a_404(client, manager, crew):
    schedule = rotation(manager, "Primary", "UTC", ["ana"], date(2026, 1, 1))
    feed = calendar.feed_for(schedule=schedule)
    path = calendar.feed_path(feed)
    token = calendar.feed_token(feed)
    assert client.get(path).status_code == 200
    for bad in (
        token[:-1] + ("0" if token[-1] != "0" else "1"),
        f"{feed.pk + 1}-{token.split('-', 1)[1]}",
        "nonsense",
        f"{feed.pk}-",
        "99999999999999999999999-abc",
    ):
        assert client.get(f"/oncall/calendar/{bad}.ics").status_code == 404, bad
    calendar_feed_reset(actor=manager, source=WEB, schedule=schedule)
    assert client.get(path).status_code == 404
    feed.refresh_from_db()
    assert client.get(calendar.feed_path(feed)).status_code == 200


def test_a_person_resets_their_calendar_url_from_my_on_call(client, crew):
    feed = calendar.feed_for(user=crew[0])
    old = calendar.feed_path(feed)
    client.force_login(crew[0])
    assert client.post("/oncall/me/calendar/reset").status_code == 302
    feed.refresh_from_db()
    assert client.get(old).status_code == 404
    assert calendar.feed_path(feed) in client.get("/oncall/me").content.decode()


def test_a_deactivated_persons_feed_is_a_404(client, crew):
    feed = calendar.feed_for(user=crew[0])
    crew[0].is_active = False
    crew[0].save()
    assert client.get(calendar.feed_path(feed)).status_code == 404


def test_the_feed_needs_no_sign_in_and_says_when_it_was_made(client, manager, crew):
    schedule = rotation(manager, "Primary", "UTC", ["ana"], date(2026, 1, 1))
    feed = calendar.feed_for(schedule=schedule)
    parsed = fetch(client, feed)
    stamps = {e.decoded("dtstamp") for e in parsed.walk("VEVENT")}
    assert stamps == {feed.created_at.astimezone(UTC).replace(microsecond=0)}


def test_the_calendar_urls_through_the_api_and_the_command_line(
    client, api_client, cli, manager, crew, settings
):
    settings.BASE_URL = "https://desk.example.org"
    schedule = rotation(manager, "Primary", "UTC", ["ana"], date(2026, 1, 1))
    mike = api_client(manager)
    url = mike.call("get", f"/schedules/{schedule.pk}/calendar").json_body["url"]
    assert url.startswith("https://desk.example.org/oncall/calendar/") and url.endswith(".ics")
    assert cli("schedule", "calendar", "Primary", "--as", "ana").out.strip() == url
    new = mike.call("post", f"/schedules/{schedule.pk}/calendar/reset").json_body["url"]
    assert new != url
    assert client.get(url.removeprefix(settings.BASE_URL)).status_code == 404
    assert client.get(new.removeprefix(settings.BASE_URL)).status_code == 200
    # A responder reads a schedule's URL but may not make a new one.
    assert cli("schedule", "calendar", "Primary", "--reset", "--as", "ana").code == 2
    # Everyone has their own.
    ana = api_client(crew[0])
    mine = ana.call("get", "/on-call/me/calendar").json_body["url"]
    assert cli("schedule", "calendar", "--as", "ana").out.strip() == mine
    again = cli("schedule", "calendar", "--reset", "--as", "ana").out.strip()
    assert again != mine
    assert ana.call("post", "/on-call/me/calendar/reset").json_body["url"] not in (mine, again)

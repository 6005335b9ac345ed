"""The shifts of a schedule and of a person between two instants: the final answer after
layers, restrictions and overrides, a person's time merged while they stay on call, correct
across the 2026 daylight-saving changes in Berlin and New York."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.resolution import Shift, on_call_at, person_shifts, schedule_shifts
from incidentdesk.oncall.services import layer_add, override_add, schedule_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
UTC = ZoneInfo("UTC")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)]


@pytest.fixture
def manager():
    return UserFactory(username="mgr", role=Role.MANAGER)


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


def schedule_with(manager, zone: str, *layers: dict, name: str = "ops"):
    schedule = schedule_create(actor=manager, source=WEB, name=name, time_zone=zone)
    for layer in layers:
        layer_add(actor=manager, source=WEB, schedule=schedule, **layer)
    return schedule


def spans(shifts: list[Shift], zone: ZoneInfo) -> list[tuple[int, str, str]]:
    """Shifts as (user id, local start, local end), easy to read in a failure."""
    return [
        (
            s.user_id,
            s.start.astimezone(zone).strftime("%m-%d %H:%M"),
            s.end.astimezone(zone).strftime("%m-%d %H:%M"),
        )
        for s in shifts
    ]


@pytest.mark.parametrize(
    ("zone", "change", "short"),
    [
        ("Europe/Berlin", date(2026, 3, 29), True),
        ("Europe/Berlin", date(2026, 10, 25), False),
        ("America/New_York", date(2026, 3, 8), True),
        ("America/New_York", date(2026, 11, 1), False),
    ],
)
def test_daily_shifts_hand_off_at_nine_local_and_the_one_over_the_change_is_23_or_25_hours(
    manager, crew, zone, change, short
):
    tz = ZoneInfo(zone)
    start = change - timedelta(days=3)
    schedule = schedule_with(
        manager,
        zone,
        {"people": [p.pk for p in crew], "rotation_start": start, "handoff_time": "09:00"},
    )
    window_start = datetime.combine(start, time(9), tzinfo=tz)
    window_end = datetime.combine(change + timedelta(days=3), time(9), tzinfo=tz)
    shifts = schedule_shifts(schedule, window_start, window_end)
    assert [s.start.astimezone(tz).time() for s in shifts] == [time(9)] * 6
    assert [s.user_id for s in shifts] == [crew[i % 3].pk for i in range(6)]
    lengths = [(s.end - s.start) / timedelta(hours=1) for s in shifts]
    # The turn from 09:00 the day before the change to 09:00 on the day of it.
    assert lengths == [24, 24, 23 if short else 25, 24, 24, 24]


def test_a_restricted_layer_gives_weekday_office_hours_over_the_lower_layer(manager, crew):
    # New York, the week of the change to summer time (Sunday 8 March 2026).
    schedule = schedule_with(
        manager,
        "America/New_York",
        {"people": ["ana"], "rotation_start": "2026-03-01", "handoff_time": "00:00"},
        {
            "people": ["ben"],
            "rotation_start": "2026-03-01",
            "handoff_time": "09:00",
            "restrictions": WEEKDAYS_9_TO_5,
        },
    )
    start = datetime(2026, 3, 6, 0, tzinfo=NEW_YORK)  # a Friday
    end = datetime(2026, 3, 10, 0, tzinfo=NEW_YORK)  # Tuesday
    ana, ben = crew[0].pk, crew[1].pk
    assert spans(schedule_shifts(schedule, start, end), NEW_YORK) == [
        (ana, "03-06 00:00", "03-06 09:00"),
        (ben, "03-06 09:00", "03-06 17:00"),
        # Ana keeps the weekend, over the change, in one shift.
        (ana, "03-06 17:00", "03-09 09:00"),
        (ben, "03-09 09:00", "03-09 17:00"),
        (ana, "03-09 17:00", "03-10 00:00"),
    ]
    weekend = schedule_shifts(schedule, start, end)[2]
    assert weekend.end - weekend.start == timedelta(hours=63)  # 64 on the wall clock, less one


def test_an_override_cuts_into_a_shift_and_the_same_person_continuing_is_one_shift(manager, crew):
    schedule = schedule_with(
        manager,
        "Europe/Berlin",
        {"people": ["ana", "ben"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
    )
    ana, ben, cat = (p.pk for p in crew)
    # Cat takes 12:00-15:00 on 2 June; ben overrides his own turn's start (no break for him).
    override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="cat",
        start=datetime(2026, 6, 2, 12, tzinfo=BERLIN),
        end=datetime(2026, 6, 2, 15, tzinfo=BERLIN),
    )
    override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="ben",
        start=datetime(2026, 6, 2, 6, tzinfo=BERLIN),
        end=datetime(2026, 6, 2, 10, tzinfo=BERLIN),
    )
    shifts = schedule_shifts(
        schedule, datetime(2026, 6, 1, 9, tzinfo=BERLIN), datetime(2026, 6, 3, 9, tzinfo=BERLIN)
    )
    assert spans(shifts, BERLIN) == [
        (ana, "06-01 09:00", "06-02 06:00"),
        (ben, "06-02 06:00", "06-02 12:00"),
        (cat, "06-02 12:00", "06-02 15:00"),
        (ben, "06-02 15:00", "06-03 09:00"),
    ]


def test_shifts_running_over_the_window_are_cut_at_its_ends(manager, crew):
    schedule = schedule_with(
        manager,
        "UTC",
        {"people": ["ana", "ben"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
    )
    start, end = datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 2, 10, tzinfo=UTC)
    assert [(s.user_id, s.start, s.end) for s in schedule_shifts(schedule, start, end)] == [
        (crew[0].pk, start, datetime(2026, 6, 2, 9, tzinfo=UTC)),
        (crew[1].pk, datetime(2026, 6, 2, 9, tzinfo=UTC), end),
    ]


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York"])
def test_the_shifts_agree_with_who_is_on_call_every_five_minutes_around_the_changes(
    manager, crew, zone
):
    """The shift list against the instant query asked independently, every 5 minutes over
    four days around each 2026 change, with an hourly layer, a night window and an override."""
    tz = ZoneInfo(zone)
    schedule = schedule_with(
        manager,
        zone,
        {"people": ["ana", "ben"], "rotation_start": "2026-01-01", "handoff_time": "02:30"},
        {
            "people": ["cat", "ana"],
            "rotation_start": "2026-01-01",
            "handoff_time": "01:00",
            "rotation_length": 5,
            "rotation_unit": "hours",
            "restrictions": [{"weekday": d, "start": "22:00", "end": "24:00"} for d in range(1, 8)]
            + [{"weekday": d, "start": "00:00", "end": "01:00"} for d in range(1, 8)]
            # Starts inside the hour skipped in spring and the one repeated in autumn.
            + [{"weekday": d, "start": "02:30", "end": "04:00"} for d in range(1, 8)]
            + [{"weekday": d, "start": "01:10", "end": "01:40"} for d in range(1, 8)],
        },
    )
    for change in (date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)):
        start = datetime.combine(change - timedelta(days=2), time(0), tzinfo=tz)
        override_add(
            actor=manager,
            source=WEB,
            schedule=schedule,
            user="ben",
            start=start + timedelta(hours=30),
            end=start + timedelta(hours=33, minutes=10),
        )
        end = start + timedelta(days=4)
        shifts = schedule_shifts(schedule, start, end)
        moment = start.astimezone(UTC)
        while moment < end:
            expected = [u.pk for u in on_call_at(schedule, moment)]
            found = [s.user_id for s in shifts if s.start <= moment < s.end]
            assert found == expected, f"{change} {moment.astimezone(tz)}"
            moment += timedelta(minutes=5)
        # Shifts of one person never touch: touching ones would have been merged.
        for person in crew:
            own = [s for s in shifts if s.user_id == person.pk]
            assert all(a.end < b.start for a, b in zip(own, own[1:], strict=False))


def test_a_persons_shifts_come_from_every_schedule_they_are_in(manager, crew):
    days = {"people": ["ana", "ben"], "rotation_start": "2026-06-01", "handoff_time": "09:00"}
    first = schedule_with(manager, "UTC", days, name="first")
    second = schedule_with(manager, "Europe/Berlin", days | {"people": ["ben", "ana"]}, name="two")
    schedule_with(manager, "UTC", days | {"people": ["cat"]}, name="other")
    start, end = datetime(2026, 6, 1, 0, tzinfo=UTC), datetime(2026, 6, 3, 0, tzinfo=UTC)
    found = [(s.schedule_id, s.start, s.end) for s in person_shifts(crew[0], start, end)]
    assert found == [
        (first.pk, datetime(2026, 6, 1, 9, tzinfo=UTC), datetime(2026, 6, 2, 9, tzinfo=UTC)),
        (second.pk, datetime(2026, 6, 2, 7, tzinfo=UTC), end),
    ]


def test_a_window_that_ends_before_it_starts_is_refused_naming_end(manager, crew):
    schedule = schedule_with(manager, "UTC")
    moment = datetime(2026, 6, 1, tzinfo=UTC)
    with pytest.raises(ValidationError) as refused:
        schedule_shifts(schedule, moment, moment)
    assert refused.value.field == "end"

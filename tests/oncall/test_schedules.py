"""Who is on call: layers rotating on the schedule's wall clock (across daylight-saving
changes), restrictions, overrides, and the input the schedule services refuse."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import Layer, Override, Schedule
from incidentdesk.oncall.resolution import on_call_at
from incidentdesk.oncall.services import layer_add, override_add, schedule_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
UTC = ZoneInfo("UTC")


@pytest.fixture
def manager():
    return UserFactory(username="mgr", role=Role.MANAGER)


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


def local(zone: str, *args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def add_layer(manager, schedule, people, start, handoff, **extra):
    return layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=people,
        rotation_start=start,
        handoff_time=handoff,
        **extra,
    )


def daily(manager, crew, zone: str, start: date, **extra) -> Schedule:
    schedule = schedule_create(actor=manager, source=WEB, name=f"ops {zone}", time_zone=zone)
    add_layer(manager, schedule, [p.pk for p in crew], start, time(9, 0), **extra)
    return schedule


def test_the_person_whose_turn_it_is_is_on_call_now_and_at_a_given_time(manager, crew):
    today = datetime.now(ZoneInfo("Europe/Berlin")).date()
    schedule = daily(manager, crew, "Europe/Berlin", today - timedelta(days=30))
    now = datetime.now(UTC)
    # 30 days in at 09:00 local: turn 30 (ana), or turn 29 (cat) before 09:00.
    expected = crew[0] if now.astimezone(ZoneInfo("Europe/Berlin")).hour >= 9 else crew[2]
    assert on_call_at(schedule, now) == [expected]
    assert on_call_at(
        schedule, local("Europe/Berlin", *(today - timedelta(days=29)).timetuple()[:3], 12)
    ) == [crew[1]]


def test_nobody_is_on_call_before_the_first_hand_off_or_without_layers(manager, crew):
    schedule = daily(manager, crew, "Europe/Berlin", date(2026, 5, 4))
    assert on_call_at(schedule, local("Europe/Berlin", 2026, 5, 4, 8, 59)) == []
    assert on_call_at(schedule, local("Europe/Berlin", 2026, 5, 4, 9, 0)) == [crew[0]]
    empty = schedule_create(actor=manager, source=WEB, name="empty", time_zone="UTC")
    assert on_call_at(empty, datetime(2026, 5, 4, 12, tzinfo=UTC)) == []


def test_a_time_without_a_zone_is_refused_naming_when(manager, crew):
    schedule = daily(manager, crew, "UTC", date(2026, 1, 1))
    with pytest.raises(ValidationError) as refused:
        on_call_at(schedule, datetime(2026, 1, 2, 12))
    assert refused.value.field == "when"


# Last Sunday of March and of October 2026 in Europe/Berlin; second Sunday of March and first
# of November 2026 in America/New_York.
DST_CHANGES = [
    ("Europe/Berlin", date(2026, 3, 29)),
    ("Europe/Berlin", date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8)),
    ("America/New_York", date(2026, 11, 1)),
]


@pytest.mark.parametrize(("zone", "change"), DST_CHANGES)
def test_a_daily_hand_off_stays_at_nine_local_on_both_sides_of_a_clock_change(
    manager, crew, zone, change
):
    start = change - timedelta(days=10)
    schedule = daily(manager, crew, zone, start)
    tz = ZoneInfo(zone)
    offsets = set()
    for day in (
        change - timedelta(days=2),
        change - timedelta(days=1),
        change,
        change + timedelta(days=1),
        change + timedelta(days=2),
    ):
        turn = (day - start).days
        handoff = datetime.combine(day, time(9, 0), tzinfo=tz)
        offsets.add(handoff.utcoffset())
        before = handoff - timedelta(seconds=1)
        assert on_call_at(schedule, before) == [crew[(turn - 1) % 3]], f"{day} 08:59:59"
        assert on_call_at(schedule, handoff) == [crew[turn % 3]], f"{day} 09:00"
        # The same instants asked in UTC (Python subtracts times of one zone on the wall
        # clock, of two zones in elapsed time) give the same answers.
        assert on_call_at(schedule, handoff.astimezone(UTC)) == [crew[turn % 3]]
        assert on_call_at(schedule, before.astimezone(UTC)) == [crew[(turn - 1) % 3]]
    assert len(offsets) == 2, "the days tested straddle the change"


@pytest.mark.parametrize(("zone", "change"), DST_CHANGES)
def test_a_weekly_hand_off_keeps_its_local_time_across_a_clock_change(manager, crew, zone, change):
    start = change - timedelta(days=6)  # the turn after it begins the day after the change
    schedule = daily(manager, crew, zone, start, rotation_unit="weeks")
    handoff = local(zone, *(start + timedelta(days=7)).timetuple()[:3], 9).astimezone(UTC)
    assert on_call_at(schedule, handoff - timedelta(minutes=1)) == [crew[0]]
    assert on_call_at(schedule, handoff) == [crew[1]]


def test_an_hourly_rotation_counts_elapsed_hours_through_a_change(manager, crew):
    schedule = schedule_create(actor=manager, source=WEB, name="hours", time_zone="Europe/Berlin")
    add_layer(
        manager,
        schedule,
        ["ana", "ben"],
        "2026-03-29",
        "00:00",
        rotation_length=2,
        rotation_unit="hours",
    )
    # 00:00 CET is 23:00 UTC; two hours later the clock reads 03:00 CEST (02:00 never happens).
    assert on_call_at(schedule, local("Europe/Berlin", 2026, 3, 29, 1, 59)) == [crew[0]]
    assert on_call_at(schedule, local("Europe/Berlin", 2026, 3, 29, 3, 0)) == [crew[1]]


def test_a_restriction_leaves_its_layer_empty_outside_the_window_and_the_lower_layer_shows(
    manager, crew
):
    zone = "Europe/Berlin"
    schedule = daily(manager, crew[:1], zone, date(2026, 3, 2))  # ana, all the time
    add_layer(
        manager,
        schedule,
        ["ben"],
        "2026-03-02",
        "09:00",
        restrictions=[{"weekday": day, "start": "09:00", "end": "17:00"} for day in range(1, 6)],
    )
    # Wednesday 1 April 2026, after the change to summer time: the window is local.
    assert on_call_at(schedule, local(zone, 2026, 4, 1, 9, 0)) == [crew[1]]
    assert on_call_at(schedule, local(zone, 2026, 4, 1, 16, 59)) == [crew[1]]
    assert on_call_at(schedule, local(zone, 2026, 4, 1, 8, 59)) == [crew[0]]
    assert on_call_at(schedule, local(zone, 2026, 4, 1, 17, 0)) == [crew[0]]
    assert on_call_at(schedule, local(zone, 2026, 4, 4, 12, 0)) == [crew[0]]  # a Saturday


def test_an_override_wins_for_its_span_only(manager, crew):
    schedule = daily(manager, crew[:1], "America/New_York", date(2026, 6, 1))
    start = local("America/New_York", 2026, 6, 10, 12)
    end = start + timedelta(hours=3)
    override_add(actor=manager, source=WEB, schedule=schedule, user="cat", start=start, end=end)
    assert on_call_at(schedule, start - timedelta(seconds=1)) == [crew[0]]
    assert on_call_at(schedule, start) == [crew[2]]
    assert on_call_at(schedule, end - timedelta(seconds=1)) == [crew[2]]
    assert on_call_at(schedule, end) == [crew[0]]


def test_a_higher_layer_overrides_a_lower_one_where_it_has_someone(manager, crew):
    schedule = daily(manager, crew[:1], "UTC", date(2026, 6, 1))
    add_layer(manager, schedule, ["ben"], "2026-06-05", "09:00")
    assert on_call_at(schedule, datetime(2026, 6, 4, 12, tzinfo=UTC)) == [crew[0]]
    assert on_call_at(schedule, datetime(2026, 6, 5, 12, tzinfo=UTC)) == [crew[1]]


# Bad input ---------------------------------------------------------------------------------


def good_layer(**changes) -> dict:
    return {"people": ["ana"], "rotation_start": "2026-06-01", "handoff_time": "09:00"} | changes


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"people": []}, "people"),
        ({"people": ["nobody"]}, "people"),
        ({"people": ["ghost"]}, "people"),  # deactivated
        ({"people": [99999]}, "people"),
        ({"rotation_length": 0}, "rotation_length"),
        ({"rotation_length": -1}, "rotation_length"),
        ({"rotation_unit": "fortnights"}, "rotation_unit"),
        ({"rotation_start": "June"}, "rotation_start"),
        ({"handoff_time": "25:00"}, "handoff_time"),
        ({"position": 1}, "position"),  # taken by the first layer
        (
            {"restrictions": [{"weekday": 8, "start": "09:00", "end": "17:00"}]},
            "restrictions[0].weekday",
        ),
        (
            {"restrictions": [{"weekday": 1, "start": "17:00", "end": "09:00"}]},
            "restrictions[0].end",
        ),
    ],
)
def test_a_bad_layer_is_refused_naming_the_field(manager, crew, changes, field):
    UserFactory(username="ghost", is_active=False)
    schedule = schedule_create(actor=manager, source=WEB, name="ops", time_zone="UTC")
    layer_add(actor=manager, source=WEB, schedule=schedule, **good_layer())
    with pytest.raises(ValidationError) as refused:
        layer_add(actor=manager, source=WEB, schedule=schedule, **good_layer(**changes))
    assert refused.value.field == field
    assert Layer.objects.count() == 1


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "berlin"])
def test_an_unknown_time_zone_is_refused_naming_the_field(manager, zone):
    with pytest.raises(ValidationError) as refused:
        schedule_create(actor=manager, source=WEB, name="ops", time_zone=zone)
    assert refused.value.field == "time_zone"
    assert not Schedule.objects.exists()


def test_a_second_schedule_of_the_same_name_is_refused_naming_the_field(manager):
    schedule_create(actor=manager, source=WEB, name="ops", time_zone="UTC")
    with pytest.raises(ValidationError) as refused:
        schedule_create(actor=manager, source=WEB, name="ops", time_zone="Europe/Berlin")
    assert refused.value.field == "name"


@pytest.mark.parametrize(
    ("start", "end", "user", "field"),
    [
        (datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 12, tzinfo=UTC), "ana", "end"),
        (datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 11, tzinfo=UTC), "ana", "end"),
        (datetime(2026, 6, 1, 12), datetime(2026, 6, 1, 13, tzinfo=UTC), "ana", "start"),
        (datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 13), "ana", "end"),
        (datetime(2026, 6, 1, 12, tzinfo=UTC), datetime(2026, 6, 1, 13, tzinfo=UTC), "zed", "user"),
        (
            datetime(2026, 6, 1, 12, tzinfo=UTC),
            datetime(2026, 6, 1, 13, tzinfo=UTC),
            "ghost",
            "user",
        ),
    ],
)
def test_a_bad_override_is_refused_naming_the_field(manager, crew, start, end, user, field):
    UserFactory(username="ghost", is_active=False)
    schedule = schedule_create(actor=manager, source=WEB, name="ops", time_zone="UTC")
    with pytest.raises(ValidationError) as refused:
        override_add(actor=manager, source=WEB, schedule=schedule, user=user, start=start, end=end)
    assert refused.value.field == field
    assert not Override.objects.exists()


def test_a_responder_may_not_write_schedules():
    responder = UserFactory(role=Role.RESPONDER)
    with pytest.raises(PermissionDenied):
        schedule_create(actor=responder, source=WEB, name="ops", time_zone="UTC")


def test_the_hour_repeated_when_the_clocks_go_back_is_told_apart(manager, crew):
    schedule = schedule_create(actor=manager, source=WEB, name="night", time_zone="Europe/Berlin")
    # Hand-off daily at 02:30: on 25 October 2026 that wall time happens twice; the first counts.
    add_layer(manager, schedule, ["ana", "ben"], "2026-10-24", "02:30")
    berlin = ZoneInfo("Europe/Berlin")
    first = datetime(2026, 10, 25, 2, 45, tzinfo=berlin)  # CEST, after the hand-off
    second = datetime(2026, 10, 25, 2, 15, fold=1, tzinfo=berlin)  # CET, an hour later still
    assert on_call_at(schedule, datetime(2026, 10, 25, 2, 15, tzinfo=berlin)) == [crew[0]]
    assert on_call_at(schedule, first) == [crew[1]]
    assert on_call_at(schedule, second) == [crew[1]]


def test_a_night_shift_is_two_windows_meeting_at_midnight(manager, crew):
    schedule = daily(manager, crew[:1], "UTC", date(2026, 6, 1))
    add_layer(
        manager,
        schedule,
        ["ben"],
        "2026-06-01",
        "00:00",
        restrictions=[
            {"weekday": 1, "start": "22:00", "end": "24:00"},
            {"weekday": 2, "start": "00:00", "end": "06:00"},
        ],
    )
    # Monday 8 June 2026.
    assert on_call_at(schedule, datetime(2026, 6, 8, 21, 59, tzinfo=UTC)) == [crew[0]]
    assert on_call_at(schedule, datetime(2026, 6, 8, 23, 59, 59, tzinfo=UTC)) == [crew[1]]
    assert on_call_at(schedule, datetime(2026, 6, 9, 0, 0, tzinfo=UTC)) == [crew[1]]
    assert on_call_at(schedule, datetime(2026, 6, 9, 6, 0, tzinfo=UTC)) == [crew[0]]


def test_a_hand_off_time_the_clocks_skip_happens_an_hour_later_on_the_wall_clock(manager, crew):
    schedule = schedule_create(actor=manager, source=WEB, name="early", time_zone="Europe/Berlin")
    add_layer(manager, schedule, ["ana", "ben"], "2026-03-28", "02:30")
    # 29 March 2026 02:30 does not exist in Berlin: read as 02:30 CET, that is 03:30 CEST.
    assert on_call_at(schedule, datetime(2026, 3, 29, 1, 29, tzinfo=UTC)) == [crew[0]]
    assert on_call_at(schedule, datetime(2026, 3, 29, 1, 30, tzinfo=UTC)) == [crew[1]]
    # The next day it is 02:30 CEST again.
    assert on_call_at(schedule, datetime(2026, 3, 30, 0, 29, tzinfo=UTC)) == [crew[1]]
    assert on_call_at(schedule, datetime(2026, 3, 30, 0, 30, tzinfo=UTC)) == [crew[0]]

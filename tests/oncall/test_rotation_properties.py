"""Day and week rotations counted on the wall clock, checked against a count made from local
dates alone, at random instants across 2026 in zones with different daylight-saving rules."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.oncall.resolution import turn_at

ZONES = ["Europe/Berlin", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "UTC"]
HANDOFFS = [time(0, 0), time(9, 0), time(17, 30), time(23, 45)]  # none skipped by a change
# Instants near a hand-off, where a count in fixed 24-hour days goes wrong once the offset has
# changed since the rotation started.
near_handoffs = st.tuples(
    st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    st.integers(min_value=-90, max_value=90),
)


def instant(zone: ZoneInfo, day: date, handoff: time, minutes: int) -> datetime:
    return datetime.combine(day, handoff, tzinfo=zone).astimezone(UTC) + timedelta(minutes=minutes)


@given(
    zone=st.sampled_from(ZONES),
    handoff=st.sampled_from(HANDOFFS),
    days=st.integers(min_value=1, max_value=10),
    start=st.dates(min_value=date(2025, 12, 1), max_value=date(2026, 12, 31)),
    near=near_handoffs,
)
def test_a_turn_is_the_count_of_local_hand_offs_passed(zone, handoff, days, start, near):
    tz = ZoneInfo(zone)
    when = instant(tz, near[0], handoff, near[1])
    local = when.astimezone(tz)
    # The last local date whose hand-off has passed, from the wall clock alone.
    last = local.date() if local.time() >= handoff else local.date() - timedelta(days=1)
    expected = None if last < start else (last - start).days // days
    assert turn_at(start=start, handoff=handoff, length=days, unit="days", zone=tz, when=when) == (
        expected
    )


@given(
    zone=st.sampled_from(ZONES),
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2027, 1, 1)),
    near=near_handoffs,
)
def test_a_week_rotation_is_fourteen_days_for_two_weeks(zone, start, near):
    tz = ZoneInfo(zone)
    when = instant(tz, near[0], time(9), near[1])
    weeks = turn_at(start=start, handoff=time(9), length=2, unit="weeks", zone=tz, when=when)
    days = turn_at(start=start, handoff=time(9), length=14, unit="days", zone=tz, when=when)
    assert weeks == days

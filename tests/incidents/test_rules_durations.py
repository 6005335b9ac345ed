"""How durations are written (DESIGN.md §3)."""

import re
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.incidents.rules import duration_between, format_duration


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(minutes=90), "1.5 hours"),
        (timedelta(minutes=60), "1 hour"),
        (timedelta(hours=26), "1.1 days"),
        (timedelta(days=10), "10 days"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=0), "0 minutes"),
        (timedelta(days=1), "1 day"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(seconds=90), "1.5 minutes"),
    ],
)
def test_design_examples(value, text):
    assert format_duration(value) == text


def test_missing_timestamp_gives_unknown_not_zero():
    assert format_duration(None) == "unknown"


def test_rounding_is_half_up_on_the_exact_value():
    # 75 min / 60 = 1.25 exactly; half up gives 1.3 (binary floats or banker's rounding give 1.2).
    assert format_duration(timedelta(minutes=75)) == "1.3 hours"
    # 3 seconds = 0.05 minutes exactly.
    assert format_duration(timedelta(seconds=3)) == "0.1 minutes"
    # 1.05 days = 25.2 hours.
    assert format_duration(timedelta(hours=25.2)) == "1.1 days"


def test_just_under_the_rounding_point_rounds_down():
    assert format_duration(timedelta(minutes=74, seconds=59)) == "1.2 hours"


def test_rounding_never_changes_the_unit():
    # The unit comes from the exact duration: under an hour is minutes, under a day hours.
    assert format_duration(timedelta(minutes=59, seconds=59)) == "60 minutes"
    assert format_duration(timedelta(hours=23, minutes=59, seconds=59)) == "24 hours"
    assert format_duration(timedelta(minutes=59.97)) == "60 minutes"
    assert format_duration(timedelta(hours=23.97)) == "24 hours"
    assert format_duration(timedelta(minutes=59, seconds=59, microseconds=999_999)) == (
        "60 minutes"
    )


def test_just_below_the_rounding_point_stays_below_it():
    assert format_duration(timedelta(minutes=59.94)) == "59.9 minutes"
    assert format_duration(timedelta(hours=23.94)) == "23.9 hours"


def test_fractions_of_a_second_count_in_the_rounding():
    # 2.95 minutes is 177 s: 176.9 s is 2.948 minutes (2.9), 177 s exactly rounds half up.
    assert format_duration(timedelta(seconds=176.9)) == "2.9 minutes"
    assert format_duration(timedelta(seconds=177)) == "3 minutes"
    # 0.1 s short of 1.5 minutes still writes 1.5 (1.4983 rounds to 1.5).
    assert format_duration(timedelta(seconds=89.9)) == "1.5 minutes"


def test_the_unit_is_singular_only_for_exactly_one():
    assert format_duration(timedelta(minutes=60)) == "1 hour"
    assert format_duration(timedelta(seconds=3601)) == "1 hour"  # 1.0003 is written 1
    assert format_duration(timedelta(minutes=66)) == "1.1 hours"
    assert format_duration(timedelta(seconds=57)) == "1 minute"  # 0.95 rounds half up to 1
    assert format_duration(timedelta(seconds=3)) == "0.1 minutes"


def test_duration_between_needs_both_ends():
    start = datetime(2026, 5, 1, 10, 0, tzinfo=UTC)
    assert duration_between(start, None) is None
    assert duration_between(None, start) is None
    assert duration_between(start, start + timedelta(minutes=5)) == timedelta(minutes=5)


SHAPE = re.compile(r"^(?P<number>\d+(?:\.\d)?) (?P<unit>minute|hour|day)(?P<plural>s?)$")
UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


@given(st.integers(min_value=0, max_value=400 * 86400))
def test_written_durations_follow_the_rules(seconds):
    text = format_duration(timedelta(seconds=seconds))
    match = SHAPE.match(text)
    assert match, text
    number, unit = match["number"], match["unit"]
    assert not number.endswith(".0")
    assert (match["plural"] == "") == (Decimal(number) == 1)
    # The number is the exact value in that unit, rounded half up to one decimal.
    exact = Decimal(seconds) / UNIT_SECONDS[unit]
    assert Decimal(number) == exact.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), text


@given(
    st.integers(min_value=0, max_value=400 * 86400) | st.sampled_from([3599, 3600, 86399, 86400])
)
def test_the_unit_is_chosen_by_size(seconds):
    unit = SHAPE.match(format_duration(timedelta(seconds=seconds)))["unit"]
    if seconds < 3600:
        assert unit == "minute"
    elif seconds < 86400:
        assert unit == "hour"
    else:
        assert unit == "day"

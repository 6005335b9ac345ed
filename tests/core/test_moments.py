"""core.moments: the one window (1970-01-01 to 2999-12-31) every moment and day a person gives
must fall in, and why it is safe: its ends can be shown in every time zone there is."""

import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, timezone

import pytest

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.moments import (
    EARLIEST,
    EARLIEST_DAY,
    LATEST,
    LATEST_DAY,
    check_day,
    check_moment,
)

TINY = timedelta(microseconds=1)


def test_the_ends_of_the_window_and_what_lies_between_are_taken():
    for moment in (EARLIEST, LATEST, datetime(2026, 5, 1, 10, tzinfo=UTC)):
        assert check_moment(moment, field="at") is moment
    for day in (EARLIEST_DAY, LATEST_DAY, date(2026, 5, 1)):
        assert check_day(day, field="on") is day


@pytest.mark.parametrize(
    "moment",
    [
        EARLIEST - TINY,
        LATEST + TINY,
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        # No time in UTC at all: moving it there overflows.
        datetime(1, 1, 1, tzinfo=timezone(timedelta(minutes=1))),
        datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-14))),
        # Inside the window by its wall clock, outside once in UTC.
        datetime(1970, 1, 1, 8, tzinfo=zoneinfo.ZoneInfo("Asia/Tokyo")),
    ],
    ids=str,
)
def test_a_moment_outside_the_window_is_refused_naming_the_field(moment):
    with pytest.raises(ValidationError) as caught:
        check_moment(moment, field="scheduled_for")
    assert caught.value.field == "scheduled_for"
    assert caught.value.message == (
        "is out of range; give a time between 1970-01-01 and 2999-12-31 (UTC)"
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (datetime(2026, 5, 1, 10), "give a time zone (e.g. 2026-05-01T10:00:00Z)"),
        (date(2026, 5, 1), "must be a date and time; give a time zone (e.g. 2026-05-01T10:00:00Z)"),
        (
            "2026-05-01T10:00Z",
            "must be a date and time; give a time zone (e.g. 2026-05-01T10:00:00Z)",
        ),
    ],
)
def test_a_moment_needs_a_datetime_with_its_zone(value, message):
    with pytest.raises(ValidationError) as caught:
        check_moment(value, field="occurred_at")
    assert (caught.value.field, caught.value.message) == ("occurred_at", message)


@pytest.mark.parametrize(
    "value", [date(1, 1, 1), date(9999, 12, 31), EARLIEST_DAY - timedelta(days=1), date(3000, 1, 1)]
)
def test_a_day_outside_the_window_is_refused_naming_the_field(value):
    with pytest.raises(ValidationError) as caught:
        check_day(value, field="due_date")
    assert caught.value.field == "due_date"
    assert caught.value.message == "is out of range; give a date between 1970-01-01 and 2999-12-31"


@pytest.mark.parametrize("value", [datetime(2026, 5, 1, tzinfo=UTC), "2026-05-01", None])
def test_a_day_is_a_date_and_not_a_moment(value):
    with pytest.raises(ValidationError, match="must be a date"):
        check_day(value, field="due_date")


def test_a_nearer_last_day_is_named_in_the_refusal():
    with pytest.raises(ValidationError) as caught:
        check_day(date(2101, 1, 1), field="until", latest=date(2100, 12, 31))
    assert caught.value.message == "is out of range; give a date between 1970-01-01 and 2100-12-31"


def test_the_window_can_be_shown_in_every_time_zone():
    """Its ends become local times in every zone, and its days become moments in every zone,
    without leaving Python's calendar: the reason for the window."""
    for key in sorted(zoneinfo.available_timezones()):
        zone = zoneinfo.ZoneInfo(key)
        for moment in (EARLIEST, LATEST):
            assert moment.astimezone(zone).astimezone(UTC) == moment, key
        for day, clock in ((EARLIEST_DAY, time.min), (LATEST_DAY, time.max)):
            local = datetime.combine(day, clock, tzinfo=zone)
            assert local.astimezone(UTC).astimezone(zone) == local, key

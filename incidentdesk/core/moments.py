"""The one check on a moment or a day a person gives (a form, the API, the CLI, a command).

A moment must carry its time zone, and every moment and day must fall between 1970-01-01 and
2999-12-31 (UTC for a moment). Python's dates end at years 1 and 9999: a moment near either
end cannot be shown in a zone on the far side of UTC (0001-01-01T00:00Z is still year 0 in New
York, 9999-12-31T20:00Z is year 10000 in Tokyo), so it was stored and then broke every page
that showed it. The window is far from both ends in every zone (offsets stay within a day), and
starts at the Unix epoch, so a stored moment is also never a negative Unix time.
"""

from datetime import UTC, date, datetime, time

from incidentdesk.core.errors import ValidationError

EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)
EARLIEST = datetime.combine(EARLIEST_DAY, time.min, tzinfo=UTC)
LATEST = datetime.combine(LATEST_DAY, time.max, tzinfo=UTC)
NAIVE_MESSAGE = "give a time zone (e.g. 2026-05-01T10:00:00Z)"


def in_window(value: date) -> bool:
    """Whether a day, or a moment, lies in the window. A moment without a zone is judged by
    its date, which is enough to move it into any zone safely afterwards."""
    if not isinstance(value, datetime):
        return EARLIEST_DAY <= value <= LATEST_DAY
    if value.utcoffset() is None:
        return EARLIEST_DAY <= value.date() <= LATEST_DAY
    try:
        return EARLIEST <= value.astimezone(UTC) <= LATEST
    except OverflowError:  # 0001-01-01T00:00+01:00 has no time in UTC
        return False


def check_moment(value: object, *, field: str) -> datetime:
    """Refuse anything but a datetime with a time zone inside the window, naming `field`."""
    if not isinstance(value, datetime):
        raise ValidationError(f"must be a date and time; {NAIVE_MESSAGE}", field=field)
    if value.utcoffset() is None:
        raise ValidationError(NAIVE_MESSAGE, field=field)
    if not in_window(value):
        raise ValidationError(
            f"is out of range; give a time between {EARLIEST_DAY} and {LATEST_DAY} (UTC)",
            field=field,
        )
    return value


def check_day(value: object, *, field: str, latest: date = LATEST_DAY) -> date:
    """Refuse anything but a date (not a datetime) inside the window, naming `field`. A use
    that needs a nearer end (insights, whose series have a point per day) passes `latest`."""
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValidationError("must be a date (YYYY-MM-DD)", field=field)
    latest = min(latest, LATEST_DAY)
    if not EARLIEST_DAY <= value <= latest:
        raise ValidationError(
            f"is out of range; give a date between {EARLIEST_DAY} and {latest}", field=field
        )
    return value

"""How a duration is written (DESIGN.md §3): one unit chosen by size, at most one decimal."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

UNKNOWN = "unknown"


def duration_between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


def format_duration(value: timedelta | None) -> str:
    """`45 minutes`, `1.5 hours`, `1 hour`, `1.1 days`; `unknown` when a timestamp is missing.

    The unit is chosen from the exact duration, so rounding never changes it: 59 min 59 s is
    `60 minutes` and 23 h 59 min 59 s is `24 hours`. The number is rounded half up to one
    decimal, without a trailing `.0`; the unit is singular only when the number is 1."""
    if value is None:
        return UNKNOWN
    # Exact, microseconds included (a float of the seconds is not).
    seconds = Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 10**6
    if seconds < 3600:
        number, unit = seconds / 60, "minute"
    elif seconds < 86400:
        number, unit = seconds / 3600, "hour"
    else:
        number, unit = seconds / 86400, "day"
    rounded = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".removesuffix(".0")
    return f"{text} {unit}" if rounded == 1 else f"{text} {unit}s"

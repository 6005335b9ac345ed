"""How a duration is written (DESIGN.md §3): one unit chosen by size, at most one decimal."""

from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

UNKNOWN = "unknown"


def duration_between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


def format_duration(value: timedelta | None) -> str:
    """`45 minutes`, `1.5 hours`, `1 hour`, `1.1 days`; `unknown` when a timestamp is missing."""
    if value is None:
        return UNKNOWN
    seconds = Decimal(int(value.total_seconds()))
    if seconds < 3600:
        number, unit = seconds / 60, "minute"
    elif seconds < 86400:
        number, unit = seconds / 3600, "hour"
    else:
        number, unit = seconds / 86400, "day"
    rounded = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    # Rounding can carry a value into the next unit (59.96 minutes → 60.0): write it there.
    if unit == "minute" and rounded >= 60:
        rounded, unit = Decimal(1), "hour"
    elif unit == "hour" and rounded >= 24:
        rounded, unit = Decimal(1), "day"
    text = f"{rounded:f}".removesuffix(".0")
    return f"{text} {unit}" if rounded == 1 else f"{text} {unit}s"

"""The organisation's reporting time zone, and how a moment is written in reports:
`yy-mm-dd hh:mm` in that zone, the zone named once by whoever shows it (DESIGN.md §3)."""

import zoneinfo
from datetime import datetime

from django.conf import settings

REPORT_TIME_FORMAT = "%y-%m-%d %H:%M"


def reporting_zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.REPORTING_TIME_ZONE)


def report_time(value: datetime | None, missing: str = "unknown") -> str:
    """A moment written for a report; `missing` stands in for a time not known."""
    if value is None:
        return missing
    return value.astimezone(reporting_zone()).strftime(REPORT_TIME_FORMAT)

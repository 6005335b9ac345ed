"""Pure status page rules: impact from component statuses, the page's overall indicator, and
how a span of time splits into days. No ORM here."""

from collections.abc import Iterable
from datetime import date, datetime, timedelta, tzinfo

from incidentdesk.core.errors import ValidationError

COMPONENT_STATUSES = (
    "operational",
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
)
# How bad each component status is, and the incident impact it implies.
_COMPONENT_WEIGHT = {
    "operational": 0,
    "under_maintenance": 0,
    "degraded_performance": 1,
    "partial_outage": 2,
    "major_outage": 3,
}
_IMPACT_BY_WEIGHT = {0: "none", 1: "minor", 2: "major", 3: "critical"}
# Component statuses from least to most severe, for showing the worst of several (a group's
# status). Maintenance is planned and announced, so any unplanned problem outranks it; it
# still outranks operational, so a group with a part in maintenance is not shown as fully up.
# The same order as the page indicator (maintenance only when nothing is worse) and the
# uptime bars.
STATUS_SEVERITY = (
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
IMPACT_ORDER = ("none", "minor", "major", "critical")
INDICATOR_TEXT = {
    "none": "All Systems Operational",
    "minor": "Minor Service Outage",
    "major": "Partial System Outage",
    "critical": "Major System Outage",
    "maintenance": "Service Under Maintenance",
}


def check_component_status(value: str, *, field: str = "status") -> str:
    value = (value or "").strip().lower()
    if value not in COMPONENT_STATUSES:
        raise ValidationError(
            f"unknown component status {value!r}; use one of {', '.join(COMPONENT_STATUSES)}",
            field=field,
        )
    return value


def worst_status(statuses: Iterable[str], *, default: str = "operational") -> str:
    """The most severe of `statuses` by STATUS_SEVERITY (`default` when there are none): a
    component group's status is the worst of its children's, as on Statuspage."""
    return max(statuses, key=STATUS_SEVERITY.index, default=default)


def derive_impact(component_statuses: Iterable[str]) -> str:
    """The impact a publication has when nobody overrides it: the worst of its components'."""
    worst = max((_COMPONENT_WEIGHT[s] for s in component_statuses), default=0)
    return _IMPACT_BY_WEIGHT[worst]


def worse_impact(a: str, b: str) -> str:
    """An incident keeps the worst impact it had: components recovering do not lower it."""
    return max(
        a, b, key=lambda impact: IMPACT_ORDER.index(impact) if impact in IMPACT_ORDER else -1
    )


def page_indicator(
    *, incident_impacts: Iterable[str], component_statuses: Iterable[str], maintenance: bool
) -> tuple[str, str]:
    """The page's overall status (Statuspage `status.indicator` and `description`): the worst
    of unresolved incidents' impacts and of components' statuses; maintenance only when
    nothing is worse."""
    worst = 0
    for impact in incident_impacts:
        if impact in IMPACT_ORDER:
            worst = max(worst, IMPACT_ORDER.index(impact))
    worst = max(worst, *(_COMPONENT_WEIGHT[s] for s in component_statuses), 0)
    indicator = IMPACT_ORDER[worst]
    if indicator == "none" and maintenance:
        return "maintenance", INDICATOR_TEXT["maintenance"]
    return indicator, INDICATOR_TEXT[indicator]


def split_by_day(start: datetime, end: datetime, zone: tzinfo) -> list[tuple[date, int]]:
    """Seconds of [start, end) falling on each calendar day in `zone`."""
    if end <= start:
        return []
    parts = []
    cursor = start.astimezone(zone)
    end_local = end.astimezone(zone)
    while cursor < end_local:
        next_midnight = datetime.combine(
            cursor.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone
        )
        stop = min(next_midnight, end_local)
        parts.append((cursor.date(), int((stop - cursor).total_seconds())))
        cursor = stop
    return parts

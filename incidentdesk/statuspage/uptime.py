"""The 90-day uptime bars of the public page.

Each component's history is stored as it happens: closed status spans are added to
`ComponentDay` rows when a status changes (statuspage.services). Here we only read those rows
and add the one span still open (from its start up to now), so rendering never walks raw
history.

How a day and the percentage are reckoned (the rules commercial status pages use):
- a day's colour is the worst status the component had that day;
- downtime counts a major outage fully and a partial outage at 30%; degraded performance and
  maintenance do not count as downtime;
- uptime % = 1 − downtime / time observed, where time observed starts when the component was
  created and ends now (days before it existed show as "no data" and do not count);
- a group's day is the worst of its children's days, and its downtime that day the largest of
  its children's (a group is down at least as long as its worst part).
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone

from incidentdesk.statuspage.rules import split_by_day

DAYS = 90
DOWNTIME_WEIGHT = {"major_outage": 1.0, "partial_outage": 0.3}
# From least to most severe: a day shows the last of these it had any time in.
LEVELS = (
    "nodata",
    "operational",
    "under_maintenance",
    "degraded_performance",
    "partial_outage",
    "major_outage",
)
LEVEL_WORDS = {
    "under_maintenance": "Maintenance",
    "degraded_performance": "Degraded performance",
    "partial_outage": "Partial outage",
    "major_outage": "Major outage",
}
# ComponentDay column for each non-operational status.
DAY_COLUMNS = {
    "degraded_performance": "degraded_seconds",
    "partial_outage": "partial_outage_seconds",
    "major_outage": "major_outage_seconds",
    "under_maintenance": "maintenance_seconds",
}


def format_span(seconds: float) -> str:
    """A stretch of time the way status pages write it: `45 min`, `2 h 5 min`, `< 1 min`."""
    minutes = int(seconds // 60)
    if seconds > 0 and minutes == 0:
        return "< 1 min"
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


@dataclass
class Day:
    """One cell of a bar."""

    date: date
    observed: int = 0  # seconds of this day the component existed, up to now
    seconds: dict[str, int] = field(default_factory=dict)  # non-operational status → seconds
    incidents: list[dict] = field(default_factory=list)  # [{id, name}]
    fixed_downtime: float | None = None  # set for a group's day (see worst_of)

    @property
    def level(self) -> str:
        worst = "operational" if self.observed else "nodata"
        for status, seconds in self.seconds.items():
            if seconds > 0 and LEVELS.index(status) > LEVELS.index(worst):
                worst = status
        return worst

    @property
    def downtime(self) -> float:
        """Weighted downtime, never more than the time observed."""
        if self.fixed_downtime is not None:
            return min(self.fixed_downtime, self.observed)
        weighted = sum(DOWNTIME_WEIGHT.get(s, 0) * n for s, n in self.seconds.items())
        return min(weighted, self.observed)

    @property
    def label(self) -> str:
        """The tooltip: the date, the time in each bad status, and the incidents."""
        day = f"{self.date:%b} {self.date.day}, {self.date.year}"
        if not self.observed:
            return f"{day} — No data"
        bad = [
            f"{LEVEL_WORDS[s]} {format_span(self.seconds[s])}"
            for s in reversed(LEVELS)
            if self.seconds.get(s, 0) > 0
        ]
        text = f"{day} — {', '.join(bad) if bad else 'No downtime recorded'}"
        if self.incidents:
            text += ". Incidents: " + "; ".join(i["name"] for i in self.incidents)
        return text


@dataclass
class Bar:
    days: list[Day]

    @property
    def percent(self) -> float | None:
        """Uptime over the bar's days, floored to two decimals so a bad minute never shows as
        100%. None when nothing was observed."""
        observed = sum(d.observed for d in self.days)
        if not observed:
            return None
        value = 100 * (1 - sum(d.downtime for d in self.days) / observed)
        return math.floor(value * 100) / 100

    @property
    def percent_text(self) -> str:
        percent = self.percent
        if percent is None:
            return "no data"
        return f"{percent:.2f}".rstrip("0").rstrip(".") + " %"

    @property
    def bad_days(self) -> list[Day]:
        return [d for d in self.days if d.level not in ("operational", "nodata")]


def day_range(today: date, days: int = DAYS) -> list[date]:
    return [today - timedelta(days=n) for n in range(days - 1, -1, -1)]


def build_bar(
    *,
    tracked_from: datetime,
    now: datetime,
    zone: tzinfo,
    stored: dict[date, dict],
    open_span: tuple[str, datetime, dict | None] | None = None,
    days: int = DAYS,
) -> Bar:
    """One component's bar from plain data. `stored` maps a date to its stored row
    ({status: seconds, "incidents": [...]}); `open_span` is the current (status, since,
    incident) not yet in the rows."""
    dates = day_range(now.astimezone(zone).date(), days)
    window_start = datetime.combine(dates[0], time.min, tzinfo=zone)
    observed = dict(split_by_day(max(window_start, tracked_from), now, zone))
    cells = {d: Day(date=d, observed=observed.get(d, 0)) for d in dates}
    for day, row in stored.items():
        if day in cells:
            cell = cells[day]
            for status in DAY_COLUMNS:
                cell.seconds[status] = cell.seconds.get(status, 0) + row.get(status, 0)
            _add_incidents(cell, row.get("incidents", []))
    if open_span and open_span[0] in DAY_COLUMNS:
        status, since, incident = open_span
        for day, seconds in split_by_day(max(since, window_start), now, zone):
            if day in cells:
                cells[day].seconds[status] = cells[day].seconds.get(status, 0) + seconds
                _add_incidents(cells[day], [incident] if incident else [])
    return Bar(days=[cells[d] for d in dates])


def _add_incidents(cell: Day, incidents: Iterable[dict]) -> None:
    for incident in incidents:
        if incident not in cell.incidents:
            cell.incidents.append(incident)


def worst_of(bars: list[Bar]) -> Bar:
    """A group's bar: each day the worst of its children's (see the module docstring)."""
    if not bars:
        return Bar(days=[])
    merged = []
    for cells in zip(*(b.days for b in bars), strict=True):
        day = Day(date=cells[0].date, observed=max(c.observed for c in cells))
        for status in DAY_COLUMNS:
            day.seconds[status] = max(c.seconds.get(status, 0) for c in cells)
        # The per-status maxima can come from different children; the group's downtime is
        # its worst child's, not their sum.
        day.fixed_downtime = max(c.downtime for c in cells)
        for cell in cells:
            _add_incidents(day, cell.incidents)
        merged.append(day)
    return Bar(days=merged)


def component_bars(components, *, now: datetime | None = None, days: int = DAYS) -> dict:
    """{component id: Bar} for the given components, from the stored day rows and each open
    status span (two queries in all)."""
    from incidentdesk.statuspage.models import ComponentDay, ComponentStatusChange

    now = now or timezone.now()
    zone = timezone.get_default_timezone()
    ids = [c.pk for c in components]
    first_day = day_range(now.astimezone(zone).date(), days)[0]
    stored: dict[int, dict[date, dict]] = {pk: {} for pk in ids}
    for row in ComponentDay.objects.filter(component_id__in=ids, date__gte=first_day):
        data = {status: getattr(row, column) for status, column in DAY_COLUMNS.items()}
        data["incidents"] = row.incidents
        stored[row.component_id][row.date] = data
    spans = {
        span.component_id: (
            span.status,
            span.started_at,
            {"id": span.public_incident.public_id, "name": span.public_incident.name}
            if span.public_incident
            else None,
        )
        for span in ComponentStatusChange.objects.filter(
            component_id__in=ids, ended_at__isnull=True
        ).select_related("public_incident")
    }
    return {
        c.pk: build_bar(
            tracked_from=c.created_at,
            now=now,
            zone=zone,
            stored=stored[c.pk],
            open_span=spans.get(c.pk),
            days=days,
        )
        for c in components
    }

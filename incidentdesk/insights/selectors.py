"""Insights: the figures behind the page, the API, the CLI. Every aggregate is computed by the
database; Python only shapes the rows that come back."""

from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q
from django.db.models.functions import TruncMonth, TruncWeek
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import (
    OPEN_STATUSES,
    ActionItem,
    ActionStatus,
    Detection,
    Severity,
)
from incidentdesk.insights.filters import (
    Filters,
    filtered_incidents,
    reporting_zone,
    taxonomy_available,
)
from incidentdesk.insights.sql import METRICS, duration_stats
from incidentdesk.postmortems.durations import format_duration

INTERVALS = {"week": TruncWeek, "month": TruncMonth}
NONE_KEY = "none"


def _figure(seconds: float | None) -> dict:
    """`{"seconds": int or None, "text": "1.5 hours" or "unknown"}` (DESIGN.md §3)."""
    if seconds is None:
        return {"seconds": None, "text": format_duration(None)}
    whole = int(round(seconds))
    return {"seconds": whole, "text": format_duration(timedelta(seconds=whole))}


def _stats(raw: tuple | None, total: int) -> dict:
    """One metric's figures with the number of incidents behind them and how many are unknown."""
    count, mean, median, p90 = raw or (0, None, None, None)
    return {
        "count": count,
        "unknown": total - count,
        "mean": _figure(mean),
        "median": _figure(median),
        "p90": _figure(p90),
    }


def _durations(stats: dict, key, total: int, metrics=tuple(METRICS)) -> dict:
    return {metric: _stats(stats.get((metric, key)), total) for metric in metrics}


def action_follow_through(incidents) -> dict:
    """Actions of these incidents: done, pending (not yet due), overdue, won't do."""
    today = timezone.localdate()
    pending = Q(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
    overdue = pending & Q(due_date__lt=today)
    counts = ActionItem.objects.filter(incident__in=incidents.values("pk")).aggregate(
        total=Count("pk"),
        done=Count("pk", filter=Q(status=ActionStatus.DONE)),
        pending=Count("pk", filter=pending & ~Q(due_date__lt=today)),
        overdue=Count("pk", filter=overdue),
        wont_do=Count("pk", filter=Q(status=ActionStatus.WONT_DO)),
    )
    return counts


def period_figures(filters: Filters) -> dict:
    """Counts, durations and action follow-through for one period."""
    incidents = filtered_incidents(filters)
    by_severity = dict(
        incidents.values_list("severity__key")
        .annotate(n=Count("pk"))
        .values_list("severity__key", "n")
    )
    total = sum(by_severity.values())
    open_count = incidents.filter(status__in=OPEN_STATUSES).count()
    return {
        "since": filters.since.isoformat(),
        "until": filters.until.isoformat(),
        "incidents": total,
        "open": open_count,
        "by_severity": {key: by_severity.get(key, 0) for key in _severity_keys()},
        "durations": _durations(duration_stats(incidents), "", total),
        "actions": action_follow_through(incidents),
    }


def _severity_keys() -> list[str]:
    return list(Severity.objects.values_list("key", flat=True))


def _change(now, before) -> dict:
    delta = None if now is None or before is None else now - before
    percent = None if delta is None or not before else round(100 * delta / before, 1)
    return {"delta": delta, "percent": percent}


def summary(filters: Filters) -> dict:
    """This period against the previous period of the same length."""
    current = period_figures(filters)
    previous = period_figures(filters.previous())
    change = {"incidents": _change(current["incidents"], previous["incidents"])}
    for metric in METRICS:
        now = current["durations"][metric]["median"]["seconds"]
        before = previous["durations"][metric]["median"]["seconds"]
        change[f"{metric}_median_seconds"] = _change(now, before)
    return {
        "filters": filters.as_dict(),
        "time_zone": str(reporting_zone()),
        "current": current,
        "previous": previous,
        "change": change,
    }


def _bucket_day(value) -> date:
    """A bucket's first day, from the ORM (aware datetime) or raw SQL (string or naive)."""
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        if timezone.is_aware(value):
            value = value.astimezone(reporting_zone())
        return value.date()
    return value


def _bucket_starts(filters: Filters, interval: str) -> list[date]:
    day = filters.since
    if interval == "week":
        day -= timedelta(days=day.weekday())
        step = lambda d: d + timedelta(days=7)  # noqa: E731
    else:
        day = day.replace(day=1)
        step = lambda d: (d + timedelta(days=32)).replace(day=1)  # noqa: E731
    starts = []
    while day <= filters.until:
        starts.append(day)
        day = step(day)
    return starts


def timeseries(filters: Filters, interval: str = "week") -> dict:
    """Per week or month: incidents by severity, and TTD/TTF/TTR figures."""
    if interval not in INTERVALS:
        raise ValidationError("must be 'week' or 'month'", field="interval")
    bucket = INTERVALS[interval]("declared_at", tzinfo=reporting_zone())
    incidents = filtered_incidents(filters)
    counts: dict[date, dict[str, int]] = {}
    rows = incidents.annotate(b=bucket).values_list("b", "severity__key").annotate(n=Count("pk"))
    for value, severity, n in rows:
        counts.setdefault(_bucket_day(value), {})[severity] = n
    stats = {(m, _bucket_day(g)): v for (m, g), v in duration_stats(incidents, bucket).items()}
    keys = _severity_keys()
    buckets = []
    for start in _bucket_starts(filters, interval):
        per_severity = counts.get(start, {})
        total = sum(per_severity.values())
        buckets.append(
            {
                "start": start.isoformat(),
                "incidents": total,
                "by_severity": {k: per_severity.get(k, 0) for k in keys},
                "durations": _durations(stats, start, total),
            }
        )
    return {"filters": filters.as_dict(), "interval": interval, "buckets": buckets}


def _groupings() -> dict:
    groupings = {
        "severity": F("severity__key"),
        "component": F("components__name"),
        "detection": F("detection"),
    }
    if taxonomy_available():
        groupings["taxonomy"] = F("postmortem__taxonomy_principal")
    return groupings


BREAKDOWNS = ("component", "severity", "detection", "taxonomy")


def breakdown(filters: Filters, by: str, metrics=tuple(METRICS)) -> dict:
    """Incidents and TTD/TTF/TTR per component, severity, detection mode or taxonomy term.
    An incident in two components counts once in each. `metrics` limits the durations."""
    if by not in BREAKDOWNS:
        raise ValidationError(f"must be one of {', '.join(BREAKDOWNS)}", field="by")
    groupings = _groupings()
    if by not in groupings:
        raise ValidationError("needs the postmortems app, which is not installed", field="by")
    incidents = filtered_incidents(filters)
    group = groupings[by]
    counts = dict(incidents.annotate(g=group).values_list("g").annotate(n=Count("pk")))
    stats = duration_stats(incidents, group, metrics)
    rows = [
        {"key": _label(key), "incidents": n, "durations": _durations(stats, key, n, metrics)}
        for key, n in counts.items()
    ]
    rows.sort(key=lambda r: (-r["incidents"], r["key"]))
    return {"filters": filters.as_dict(), "by": by, "rows": rows}


def _label(key) -> str:
    if key in (None, ""):
        return NONE_KEY if key is None else "unknown"
    return str(key)


DETECTION_KEYS = Detection.values

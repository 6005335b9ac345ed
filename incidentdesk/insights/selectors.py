"""Insights: the figures behind the page, the API, the CLI. Every aggregate is computed by the
database, in one scan of the selected incidents per request (see `sql.grouped`); Python only
shapes the rows that come back."""

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from statistics import median

from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import OPEN_STATUSES, ActionItem, ActionStatus, Severity
from incidentdesk.incidents.rules import format_duration
from incidentdesk.insights.filters import (
    Filters,
    filtered_incidents,
    reporting_zone,
    taxonomy_available,
)
from incidentdesk.insights.sql import CURRENT, METRICS, PREVIOUS, Grouping, grouped
from incidentdesk.recovery import measures
from incidentdesk.recovery.models import AffectedSystem, Disaster

INTERVALS = ("week", "month")
BREAKDOWNS = ("component", "severity", "detection", "taxonomy")
# Machine keys of a breakdown's rows without a value, and how the page words them.
NONE_KEY, BLANK_KEY = "none", "unknown"
LABELS = {
    ("component", NONE_KEY): "no component",
    ("detection", BLANK_KEY): "not recorded",
    ("taxonomy", NONE_KEY): "no postmortem",
    ("taxonomy", BLANK_KEY): "not classified yet",
}
BREAKDOWN_KEYS = {
    "severity": "k_severity",
    "detection": "k_detection",
    "taxonomy": "k_taxonomy",
    "component": "c.name",
}


def _figure(seconds: float | None) -> dict:
    """`{"seconds": int or None, "text": "1.5 hours" or "unknown"}` (DESIGN.md §3)."""
    if seconds is None:
        return {"seconds": None, "text": format_duration(None)}
    # The text from the figure itself, not from the whole seconds: its unit is chosen from the
    # unrounded duration (a mean of 3599.6 s is "60 minutes", not "1 hour").
    return {"seconds": round(seconds), "text": format_duration(timedelta(seconds=seconds))}


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


def _users(entry: dict | None, total: int) -> dict:
    """Users affected: `count` summed over the incidents that give a number (`known`), and how
    many incidents give none (`unknown`): those are not counted as zero."""
    count, known = (entry or {}).get("users", (0, 0))
    return {"count": count, "known": known, "unknown": total - known}


def _durations(entry: dict | None, total: int, metrics=tuple(METRICS)) -> dict:
    entry = entry or {}
    return {metric: _stats(entry.get(metric), total) for metric in metrics}


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


def _bucket(starts: list[date]):
    """The first day of the week or month an incident was declared in, in the reporting time
    zone, as a CASE over the period's boundaries (the same SQL on every database)."""
    zone = reporting_zone()
    whens = [
        When(
            declared_at__lt=datetime.combine(following, time.min, tzinfo=zone),
            then=Value(start.isoformat()),
        )
        for start, following in zip(starts, starts[1:], strict=False)
    ]
    return Case(*whens, default=Value(starts[-1].isoformat()))


def _flag(condition: Q):
    return Case(When(condition, then=Value(1)), default=Value(0), output_field=IntegerField())


def _scan(filters: Filters, groupings: list[Grouping], interval: str | None = None) -> dict:
    """Run one `grouped` scan over the filtered incidents, and over the previous period too when
    a grouping asks for it."""
    start, _ = filters.bounds()
    previous = any(g.period == PREVIOUS for g in groupings)
    scope = replace(filters, since=filters.previous().since) if previous else filters
    columns = {
        "period": _flag(Q(declared_at__gte=start)) if previous else Value(CURRENT),
        "severity": F("severity__key"),
        "open": _flag(Q(status__in=OPEN_STATUSES)),
        "detection": F("detection"),
        "users": F("users_affected_count"),
    }
    if taxonomy_available():
        columns["taxonomy"] = F("postmortem__taxonomy_principal")
    if interval:
        columns["bucket"] = _bucket(_bucket_starts(filters, interval))
    used = {
        name: expr
        for name, expr in columns.items()
        if name in ("period", "users") or any(f"k_{name}" in g.key for g in groupings)
    }
    return grouped(filtered_incidents(scope), used, groupings)


def _actions(filters: Filters, previous: bool) -> dict:
    """Action follow-through per period: done, pending (not yet due), overdue, won't do."""
    today = timezone.localdate()
    pending = Q(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])
    kinds = {
        "total": Q(),
        "done": Q(status=ActionStatus.DONE),
        "pending": pending & ~Q(due_date__lt=today),
        "overdue": pending & Q(due_date__lt=today),
        "wont_do": Q(status=ActionStatus.WONT_DO),
    }
    start, _ = filters.bounds()
    periods = {"current": Q(incident__declared_at__gte=start)}
    scope = filters
    if previous:
        periods["previous"] = Q(incident__declared_at__lt=start)
        scope = replace(filters, since=filters.previous().since)
    counts = ActionItem.objects.filter(
        incident__in=filtered_incidents(scope).values("pk")
    ).aggregate(
        **{
            f"{period}__{kind}": Count("pk", filter=when & condition)
            for period, when in periods.items()
            for kind, condition in kinds.items()
        }
    )
    return {period: {kind: counts[f"{period}__{kind}"] for kind in kinds} for period in periods}


def _severity_keys() -> list[str]:
    return list(Severity.objects.values_list("key", flat=True))


def _change(now, before) -> dict:
    delta = None if now is None or before is None else now - before
    percent = None if delta is None or not before else round(100 * delta / before, 1)
    return {"delta": delta, "percent": percent}


SUMMARY = [
    grouping
    for period, suffix in ((CURRENT, ""), (PREVIOUS, "_previous"))
    for grouping in (
        Grouping(f"all{suffix}", "''", tuple(METRICS), period),
        Grouping(f"severity{suffix}", "k_severity", (), period),
        Grouping(f"open{suffix}", "k_open", (), period),
    )
]


def _period(figures: dict, suffix: str, filters: Filters, actions: dict, keys) -> dict:
    everything = figures.get((f"all{suffix}", ""), {})
    total = everything.get("incidents", 0)
    return {
        "since": filters.since.isoformat(),
        "until": filters.until.isoformat(),
        "incidents": total,
        "open": figures.get((f"open{suffix}", "1"), {}).get("incidents", 0),
        "by_severity": {
            k: figures.get((f"severity{suffix}", k), {}).get("incidents", 0) for k in keys
        },
        "users_affected": _users(everything, total),
        "durations": _durations(everything, total),
        "actions": actions,
    }


def _summary(filters: Filters, figures: dict, actions: dict, keys) -> dict:
    current = _period(figures, "", filters, actions["current"], keys)
    previous = _period(figures, "_previous", filters.previous(), actions["previous"], keys)
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


def summary(filters: Filters) -> dict:
    """This period against the previous period of the same length."""
    figures = _scan(filters, SUMMARY)
    return _summary(filters, figures, _actions(filters, previous=True), _severity_keys())


MAX_BUCKETS = 400  # about eight years of weeks, or thirty of months


def _check_interval(filters: Filters, interval: str) -> None:
    if interval not in INTERVALS:
        raise ValidationError("must be 'week' or 'month'", field="interval")
    if len(_bucket_starts(filters, interval)) > MAX_BUCKETS:
        raise ValidationError(
            f"more than {MAX_BUCKETS} {interval}s; choose a shorter range or per month",
            field="interval",
        )


TIMESERIES = [
    Grouping("bucket", "k_bucket", tuple(METRICS)),
    Grouping("bucket_severity", "k_bucket || '|' || k_severity"),
]


def _timeseries(filters: Filters, interval: str, figures: dict, keys) -> dict:
    buckets = []
    for start in _bucket_starts(filters, interval):
        day = start.isoformat()
        entry = figures.get(("bucket", day), {})
        total = entry.get("incidents", 0)
        buckets.append(
            {
                "start": day,
                "incidents": total,
                "by_severity": {
                    k: figures.get(("bucket_severity", f"{day}|{k}"), {}).get("incidents", 0)
                    for k in keys
                },
                "users_affected": _users(entry, total),
                "durations": _durations(entry, total),
            }
        )
    return {"filters": filters.as_dict(), "interval": interval, "buckets": buckets}


def timeseries(filters: Filters, interval: str = "week") -> dict:
    """Per week or month: incidents by severity, and TTD/TTF/TTR figures."""
    _check_interval(filters, interval)
    figures = _scan(filters, TIMESERIES, interval)
    return _timeseries(filters, interval, figures, _severity_keys())


def _check_breakdown(by: str) -> None:
    if by not in BREAKDOWNS:
        raise ValidationError(f"must be one of {', '.join(BREAKDOWNS)}", field="by")
    if by == "taxonomy" and not taxonomy_available():
        raise ValidationError("needs the postmortems app, which is not installed", field="by")


def _breakdown_grouping(by: str, metrics) -> Grouping:
    return Grouping(by, BREAKDOWN_KEYS[by], tuple(metrics), by_component=by == "component")


def _breakdown(filters: Filters, by: str, figures: dict, metrics) -> dict:
    rows = []
    for (name, value), entry in figures.items():
        if name != by:
            continue
        key = NONE_KEY if value is None else (value or BLANK_KEY)
        n = entry.get("incidents", 0)
        rows.append(
            {
                "key": key,
                "label": LABELS.get((by, key), key),
                "incidents": n,
                "users_affected": _users(entry, n),
                "durations": _durations(entry, n, metrics),
            }
        )
    rows.sort(key=lambda r: (-r["incidents"], r["key"]))
    return {"filters": filters.as_dict(), "by": by, "rows": rows}


def breakdown(filters: Filters, by: str, metrics=tuple(METRICS)) -> dict:
    """Incidents and TTD/TTF/TTR per component, severity, detection mode or taxonomy term.
    An incident in two components counts once in each. `metrics` limits the durations."""
    _check_breakdown(by)
    figures = _scan(filters, [_breakdown_grouping(by, metrics)])
    return _breakdown(filters, by, figures, metrics)


def overview(filters: Filters, interval: str = "week", metrics=("ttr",)) -> dict:
    """Everything the Insights page shows, from one scan: the summary, the series per week or
    month, and every breakdown (with `metrics` only, to keep the scan small)."""
    _check_interval(filters, interval)
    kinds = [by for by in BREAKDOWNS if by != "taxonomy" or taxonomy_available()]
    groupings = SUMMARY + TIMESERIES + [_breakdown_grouping(by, metrics) for by in kinds]
    figures = _scan(filters, groupings, interval)
    keys = _severity_keys()
    return {
        "summary": _summary(filters, figures, _actions(filters, previous=True), keys),
        "timeseries": _timeseries(filters, interval, figures, keys),
        "breakdowns": {by: _breakdown(filters, by, figures, metrics) for by in kinds},
    }


# Disasters and drills ---------------------------------------------------------------------------

DISASTER_KINDS = {False: "disasters", True: "drills"}


def _against(rows: list[AffectedSystem], measure, met) -> dict:
    """One measure of a system's recoveries against its objective: how many were measured and
    how many not, the median and the worst, how many met the objective and how many missed it."""
    measured = [(value.total_seconds(), met(a)) for a in rows if (value := measure(a)) is not None]
    seconds = [value for value, _ in measured]
    return {
        "count": len(measured),
        "unknown": len(rows) - len(measured),
        "median": _figure(median(seconds) if seconds else None),
        "worst": _figure(max(seconds) if seconds else None),
        "met": sum(1 for _, ok in measured if ok),
        "missed": sum(1 for _, ok in measured if not ok),
    }


def _system_row(rows: list[AffectedSystem]) -> dict:
    system = rows[0].system
    return {
        "system": system.name,
        "affected": len(rows),
        "rto": _figure(system.rto_minutes * 60),
        "rpo": _figure(system.rpo_minutes * 60),
        "recovery_time": _against(rows, measures.recovery_time, measures.rto_met),
        "data_lost": _against(rows, measures.data_loss, measures.rpo_met),
    }


def disasters(filters: Filters) -> dict:
    """The selected incidents that became disasters, and the drills, measured apart: how many,
    and per system how often it was affected, its recovery time against its RTO (restored
    ones) and the data it lost against its RPO (where a recovery point was recorded)."""
    incidents = filtered_incidents(filters, drills=True).values("pk")
    counts = dict(
        Disaster.objects.filter(incident__in=incidents)
        .order_by()
        .values_list("drill")
        .annotate(n=Count("pk"))
        .values_list("drill", "n")
    )
    per: dict[tuple[bool, int], list[AffectedSystem]] = {}
    affected = AffectedSystem.objects.filter(disaster__incident__in=incidents).select_related(
        "system", "disaster"
    )
    for row in affected.order_by("system__name", "pk"):
        per.setdefault((row.disaster.drill, row.system_id), []).append(row)
    data = {"filters": filters.as_dict(), "time_zone": str(reporting_zone())}
    for drill, kind in DISASTER_KINDS.items():
        data[kind] = {
            "count": counts.get(drill, 0),
            "systems": [_system_row(rows) for (d, _), rows in per.items() if d == drill],
        }
    return data

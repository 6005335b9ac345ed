"""The Insights page: filters, figures and server-side SVG charts, for signed-in users."""

from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.incidents.models import Component, Severity
from incidentdesk.insights import selectors, svg
from incidentdesk.insights.filters import parse_filters, taxonomy_available
from incidentdesk.insights.sql import METRIC_NAMES, METRICS

FILTERS = ("since", "until", "severity", "component", "taxonomy")


def _hours(stats: dict, figure: str):
    seconds = stats[figure]["seconds"]
    return None if seconds is None else round(seconds / 3600, 2)


UNKNOWN_USERS = "{n} incident{s} gave no number of users affected: not counted (not as zero)."


def unknown_note(unknown: int) -> str:
    return UNKNOWN_USERS.format(n=unknown, s="" if unknown == 1 else "s") if unknown else ""


def _charts(series: dict, interval: str) -> list[svg.Chart]:
    buckets = series["buckets"]
    labels = [b["start"] for b in buckets]
    keys = list(buckets[0]["by_severity"]) if labels else []
    names = dict(Severity.objects.values_list("key", "name"))
    users = [b["users_affected"] for b in buckets]
    charts = [
        svg.stacked_bars(
            "per-period",
            f"Incidents per {interval} by severity",
            labels,
            {names.get(k, k): [b["by_severity"][k] for b in buckets] for k in keys},
            interval=interval,
        ),
        svg.stacked_bars(
            "users-per-period",
            f"Users affected per {interval}",
            labels,
            {"users affected": [u["count"] for u in users]},
            interval=interval,
            unit="users affected",
            colours=("c-a",),
            extra={
                "headers": ["Incidents with a number", "Incidents without one"],
                "rows": [[u["known"], u["unknown"]] for u in users],
            },
            note=unknown_note(sum(u["unknown"] for u in users)),
        ),
    ]
    for metric in METRICS:
        per = [b["durations"][metric] for b in buckets]
        charts.append(
            svg.lines(
                f"{metric}-trend",
                f"{METRIC_NAMES[metric].capitalize()} per {interval}, hours (median, p90)",
                labels,
                # Counts belong to the per-period chart; on this axis they would read as hours.
                {
                    "median": [_hours(s, "median") for s in per],
                    "p90": [_hours(s, "p90") for s in per],
                },
                interval=interval,
            )
        )
    return charts


# The breakdowns whose rows are also filters: a row links to the page narrowed to it.
FILTERABLE = ("severity", "component", "taxonomy")


def _narrowed(raw: dict, by: str, key: str) -> str:
    """This page's URL with one more filter, or "" for a row that is not a value (none)."""
    if by not in FILTERABLE or key in (selectors.NONE_KEY, selectors.BLANK_KEY):
        return ""
    return "?" + urlencode({**{k: v for k, v in raw.items() if v}, by: key})


def _breakdowns(breakdowns: dict, raw: dict, interval: str) -> list[svg.Chart]:
    charts = []
    kept = {**raw, "interval": interval}
    for by in ("severity", "component", "detection", "taxonomy"):
        if by not in breakdowns:
            continue
        rows = breakdowns[by]["rows"]
        ttr = [r["durations"]["ttr"] for r in rows]
        users = [r["users_affected"] for r in rows]
        extra = {
            "headers": ["TTR median", "TTR p90", "TTR known", "Users affected", "No number"],
            "rows": [
                [s["median"]["text"], s["p90"]["text"], s["count"], u["count"], u["unknown"]]
                for s, u in zip(ttr, users, strict=True)
            ],
        }
        items = [(r["label"], r["incidents"]) for r in rows]
        links = [_narrowed(kept, by, r["key"]) for r in rows]
        charts.append(svg.hbars(f"by-{by}", f"Incidents by {by}", items, extra, links))
        if by == "severity":
            charts.append(
                svg.hbars(
                    "users-by-severity",
                    "Users affected by severity",
                    [
                        (r["label"], u["count"] if u["known"] else None)
                        for r, u in zip(rows, users, strict=True)
                    ],
                    {
                        "headers": ["Incidents with a number", "Incidents without one"],
                        "rows": [[u["known"], u["unknown"]] for u in users],
                    },
                    links,
                    unit="users affected",
                    note=unknown_note(sum(u["unknown"] for u in users)),
                )
            )
    return charts


@login_required
def insights(request):
    raw = {name: request.GET.get(name, "").strip() for name in FILTERS}
    interval = request.GET.get("interval", "week")
    context = {
        "raw": raw,
        "interval": interval if interval in selectors.INTERVALS else "week",
        "severities": Severity.objects.all(),
        "components": Component.objects.select_related("group"),
        "taxonomy_available": taxonomy_available(),
    }
    try:
        filters = parse_filters(**raw)
        figures = selectors.overview(filters, context["interval"])
        disasters = context["disasters"] = selectors.disasters(filters)
        context["disaster_tables"] = [
            (kind, kind.capitalize(), disasters[kind]) for kind in ("disasters", "drills")
        ]
    except IncidentDeskError as exc:
        context["error"] = exc
        return render(request, "insights/insights.html", context, status=exc.status_code)
    summary = figures["summary"]
    actions = summary["current"]["actions"]
    context.update(
        summary=summary,
        metrics=[
            (
                METRIC_NAMES[m],
                summary["current"]["durations"][m],
                summary["previous"]["durations"][m],
            )
            for m in METRICS
        ],
        charts=_charts(figures["timeseries"], context["interval"]),
        breakdowns=_breakdowns(figures["breakdowns"], raw, context["interval"]),
        actions_chart=svg.hbars(
            "actions",
            "Action follow-through",
            [(k.replace("_", " "), actions[k]) for k in ("done", "pending", "overdue", "wont_do")],
            unit="action items",
        ),
    )
    return render(request, "insights/insights.html", context)

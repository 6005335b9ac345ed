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


def _charts(series: dict, interval: str) -> list[svg.Chart]:
    labels = [b["start"] for b in series["buckets"]]
    keys = list(series["buckets"][0]["by_severity"]) if labels else []
    charts = [
        svg.stacked_bars(
            "per-period",
            f"Incidents per {interval} by severity",
            labels,
            {k: [b["by_severity"][k] for b in series["buckets"]] for k in keys},
        )
    ]
    for metric in METRICS:
        per = [b["durations"][metric] for b in series["buckets"]]
        charts.append(
            svg.lines(
                f"{metric}-trend",
                f"{METRIC_NAMES[metric].capitalize()} per {interval}, hours (median, p90)",
                labels,
                # Counts belong to the per-period chart; on this axis they would read as hours.
                {
                    "median h": [_hours(s, "median") for s in per],
                    "p90 h": [_hours(s, "p90") for s in per],
                },
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
        extra = {
            "headers": ["TTR median", "TTR p90", "TTR known"],
            "rows": [[s["median"]["text"], s["p90"]["text"], s["count"]] for s in ttr],
        }
        items = [(r["label"], r["incidents"]) for r in rows]
        links = [_narrowed(kept, by, r["key"]) for r in rows]
        charts.append(svg.hbars(f"by-{by}", f"Incidents by {by}", items, extra, links))
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
        ),
    )
    return render(request, "insights/insights.html", context)

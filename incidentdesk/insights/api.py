"""Insights endpoints of the JSON API (/api/v1/insights/…).

Each answers JSON, or CSV when asked with `?format=csv` or an `Accept: text/csv` header (the
query parameter wins). Filters: since, until (YYYY-MM-DD, reporting time zone), severity,
component, taxonomy. A bad filter is a 422 naming the field."""

from ninja import Query, Router, Schema

from incidentdesk.core.csv_export import csv_response, wants_csv
from incidentdesk.insights import export, selectors
from incidentdesk.insights.filters import parse_filters

router = Router(tags=["insights"])


class FiltersIn(Schema):
    since: str = ""
    until: str = ""
    severity: str = ""
    component: str = ""
    taxonomy: str = ""
    format: str = ""


def _filters(params: FiltersIn):
    return parse_filters(
        since=params.since,
        until=params.until,
        severity=params.severity,
        component=params.component,
        taxonomy=params.taxonomy,
    )


def _answer(request, params: FiltersIn, data: dict, to_csv, name: str):
    if not wants_csv(request, params.format):
        return data
    return csv_response(to_csv(data), f"insights-{name}.csv")


@router.get("/insights/summary", response=dict)
def insights_summary(request, params: Query[FiltersIn]):
    """Counts, TTD/TTF/TTR (mean, median, p90, with counts) and action follow-through for the
    period and the one before it."""
    data = selectors.summary(_filters(params))
    return _answer(request, params, data, export.summary_csv, "summary")


@router.get("/insights/timeseries", response=dict)
def insights_timeseries(request, params: Query[FiltersIn], interval: str = "week"):
    """Per week or month (`interval`): incidents by severity and TTD/TTF/TTR figures."""
    data = selectors.timeseries(_filters(params), interval)
    return _answer(request, params, data, export.timeseries_csv, f"timeseries-{interval}")


@router.get("/insights/breakdown", response=dict)
def insights_breakdown(request, params: Query[FiltersIn], by: str = "component"):
    """Incidents and TTD/TTF/TTR per component, severity, detection or taxonomy (`by`)."""
    data = selectors.breakdown(_filters(params), by)
    return _answer(request, params, data, export.breakdown_csv, f"breakdown-{by}")


@router.get("/insights/disasters", response=dict)
def insights_disasters(request, params: Query[FiltersIn]):
    """Disasters and drills apart: how many, and per system its recovery time against its RTO
    and the data it lost against its RPO. Drills are counted here only, never in the figures
    of the other endpoints."""
    data = selectors.disasters(_filters(params))
    return _answer(request, params, data, export.disasters_csv, "disasters")

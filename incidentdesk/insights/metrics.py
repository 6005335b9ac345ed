"""/metrics in the Prometheus text format, read from the database at scrape time.

Protected by a bearer token (setting INCIDENTDESK_METRICS_TOKEN): unset → 404, so the endpoint
does not exist until someone configures it; missing or wrong token → 401."""

import hmac

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily

from incidentdesk.incidents.models import OPEN_STATUSES, ActionItem, Incident, Severity
from incidentdesk.insights.sql import METRIC_NAMES, METRICS, Seconds
from incidentdesk.statuspage.render_failures import RenderFailureCollector

# Bucket bounds in seconds: 1 min … 30 days.
BUCKETS = (60, 300, 900, 1800, 3600, 7200, 14400, 43200, 86400, 259200, 604800, 2592000)
HISTOGRAM_NAMES = {
    "ttd": "incidentdesk_time_to_detect_seconds",
    "ttf": "incidentdesk_time_to_fix_seconds",
    "ttr": "incidentdesk_time_to_recover_seconds",
}


def _histogram(metric: str) -> HistogramMetricFamily:
    """One duration histogram over every incident with both timestamps, bucketed in SQL."""
    end, start = METRICS[metric]
    rows = (
        Incident.objects.order_by()
        .filter(**{f"{end}__isnull": False, f"{start}__isnull": False})
        .annotate(s=Seconds(F(end), F(start)))
        .filter(s__gte=0)
    )
    buckets = {f"le{i}": Count("pk", filter=Q(s__lte=bound)) for i, bound in enumerate(BUCKETS)}

    figures = rows.aggregate(n=Count("pk"), total=Sum("s"), **buckets)
    family = HistogramMetricFamily(
        HISTOGRAM_NAMES[metric],
        f"{METRIC_NAMES[metric].capitalize()} of incidents, in seconds (DESIGN.md §3).",
    )
    family.add_metric(
        [],
        buckets=[(str(float(b)), figures[f"le{i}"]) for i, b in enumerate(BUCKETS)]
        + [("+Inf", figures["n"])],
        sum_value=figures["total"] or 0.0,
    )
    return family


class DeskCollector:
    """Reads the database each time Prometheus scrapes."""

    def collect(self):
        open_by_severity = dict(
            Incident.objects.order_by()
            .filter(status__in=OPEN_STATUSES)
            .values_list("severity__key")
            .annotate(n=Count("pk"))
            .values_list("severity__key", "n")
        )
        gauge = GaugeMetricFamily(
            "incidentdesk_open_incidents", "Open incidents by severity.", labels=["severity"]
        )
        for key in Severity.objects.values_list("key", flat=True):
            gauge.add_metric([key], open_by_severity.get(key, 0))
        yield gauge
        for metric in METRICS:
            yield _histogram(metric)
        actions = ActionItem.objects.order_by().pending()
        figures = actions.aggregate(
            pending=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=timezone.localdate()))
        )
        yield GaugeMetricFamily(
            "incidentdesk_open_actions", "Action items open or in progress.", figures["pending"]
        )
        yield GaugeMetricFamily(
            "incidentdesk_overdue_actions",
            "Open action items past their due date.",
            figures["overdue"],
        )


registry = CollectorRegistry(auto_describe=False)
registry.register(DeskCollector())
registry.register(RenderFailureCollector())  # statuspage/render_failures.py


def _authorized(request) -> bool:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return False
    return hmac.compare_digest(token.strip().encode(), settings.METRICS_TOKEN.encode())


@require_GET
def metrics(request):
    if not settings.METRICS_TOKEN:
        raise Http404("metrics are off: set INCIDENTDESK_METRICS_TOKEN")
    if not _authorized(request):
        response = HttpResponse(
            "authenticate with 'Authorization: Bearer <metrics token>'\n",
            status=401,
            content_type="text/plain",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)

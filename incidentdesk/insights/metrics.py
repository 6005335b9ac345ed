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
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from incidentdesk.incidents.models import OPEN_STATUSES, ActionItem, Severity
from incidentdesk.insights.filters import counted_incidents
from incidentdesk.insights.sql import METRIC_NAMES, METRICS, Seconds
from incidentdesk.recovery import measures
from incidentdesk.recovery.models import AffectedSystem, Disaster, System
from incidentdesk.recovery.rules import DOWN
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
        counted_incidents()
        .order_by()
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


def _users_affected():
    """Users affected by severity, over every counted incident (as the Insights page counts
    them): the sum of the numbers given, and the incidents that give none (never zero)."""
    rows = {
        key: (users or 0, unknown)
        for key, users, unknown in counted_incidents()
        .order_by()
        .values_list("severity__key")
        .annotate(
            users=Sum("users_affected_count"),
            unknown=Count("pk", filter=Q(users_affected_count__isnull=True)),
        )
        .values_list("severity__key", "users", "unknown")
    }
    users = GaugeMetricFamily(
        "incidentdesk_users_affected",
        "Users affected by incidents, by severity: the sum of the numbers incidents give.",
        labels=["severity"],
    )
    unknown = GaugeMetricFamily(
        "incidentdesk_incidents_users_affected_unknown",
        "Incidents that give no number of users affected, by severity.",
        labels=["severity"],
    )
    for key in Severity.objects.values_list("key", flat=True):
        users.add_metric([key], rows.get(key, (0, 0))[0])
        unknown.add_metric([key], rows.get(key, (0, 0))[1])
    return users, unknown


class DeskCollector:
    """Reads the database each time Prometheus scrapes."""

    def collect(self):
        open_by_severity = dict(
            counted_incidents()
            .order_by()
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
        yield from _users_affected()
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


DRILL = {False: "false", True: "true"}


def _last_restores() -> dict[tuple[str, bool], AffectedSystem]:
    """Each system's latest restore, in disasters and in drills apart."""
    restored = AffectedSystem.objects.filter(restored_at__isnull=False).select_related(
        "system", "disaster"
    )
    return {(a.system.name, a.disaster.drill): a for a in restored.order_by("restored_at", "pk")}


class RecoveryCollector:
    """Disasters and drills, the systems they hold down, and how long each system's latest
    restore took and how much data it lost, beside its objectives (docs/insights.md)."""

    def collect(self):
        declared = CounterMetricFamily(
            "incidentdesk_disasters", "Disasters declared, drills apart.", labels=["drill"]
        )
        still_open = GaugeMetricFamily(
            "incidentdesk_open_disasters",
            "Disasters not yet back to business as usual, drills apart.",
            labels=["drill"],
        )
        figures = Disaster.objects.order_by().aggregate(
            **{
                f"{name}_{flag}": Count("pk", filter=Q(drill=flag, **when))
                for flag in DRILL
                for name, when in (("all", {}), ("open", {"resumed_at__isnull": True}))
            }
        )
        for flag, label in DRILL.items():
            declared.add_metric([label], figures[f"all_{flag}"])
            still_open.add_metric([label], figures[f"open_{flag}"])
        yield declared
        yield still_open
        down = GaugeMetricFamily(
            "incidentdesk_systems_down",
            "Affected systems out of normal service in disasters not yet over, by state.",
            labels=["system", "state", "drill"],
        )
        rows = (
            AffectedSystem.objects.order_by()
            .filter(disaster__resumed_at__isnull=True, state__in=DOWN)
            .values_list("system__name", "state", "disaster__drill")
            .annotate(n=Count("pk"))
        )
        for name, state, drill, n in rows:
            down.add_metric([name, state, DRILL[drill]], n)
        yield down
        yield from self._objectives()
        yield from self._last_measures()

    def _objectives(self):
        rto = GaugeMetricFamily(
            "incidentdesk_system_rto_seconds",
            "Each system's recovery time objective.",
            labels=["system"],
        )
        rpo = GaugeMetricFamily(
            "incidentdesk_system_rpo_seconds",
            "Each system's recovery point objective.",
            labels=["system"],
        )
        for name, rto_minutes, rpo_minutes in System.objects.values_list(
            "name", "rto_minutes", "rpo_minutes"
        ):
            rto.add_metric([name], rto_minutes * 60)
            rpo.add_metric([name], rpo_minutes * 60)
        yield rto
        yield rpo

    def _last_measures(self):
        recovery = GaugeMetricFamily(
            "incidentdesk_system_recovery_seconds",
            "How long the system's latest restore took, from the interruption.",
            labels=["system", "drill"],
        )
        lost = GaugeMetricFamily(
            "incidentdesk_system_data_lost_seconds",
            "The data the system's latest restore lost: interruption minus recovery point.",
            labels=["system", "drill"],
        )
        for (name, drill), affected in sorted(_last_restores().items()):
            recovered, loss = measures.recovery_time(affected), measures.data_loss(affected)
            if recovered is not None:
                recovery.add_metric([name, DRILL[drill]], recovered.total_seconds())
            if loss is not None:
                lost.add_metric([name, DRILL[drill]], loss.total_seconds())
        yield recovery
        yield lost


registry = CollectorRegistry(auto_describe=False)
registry.register(DeskCollector())
registry.register(RecoveryCollector())
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

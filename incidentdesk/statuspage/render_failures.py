"""Public documents that failed to render, kept in the database so every process sees them:
the status page screen lists them for admins, /metrics counts them, `statuspage export` exits
non-zero while any is failing. A later render of the document that succeeds clears it."""

from collections.abc import Container, Mapping

from django.utils import timezone
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from incidentdesk.statuspage.models import RenderFailure


def note_outcomes(rendered: Container[str], failures: Mapping[str, str]) -> None:
    """Record the documents that failed ({path: error in one line}) and clear the failing
    ones among those that rendered. Called once per stored render, under its lock."""
    now = timezone.now()
    known = {f.path: f for f in RenderFailure.objects.filter(path__in=list(failures))}
    for path, error in failures.items():
        failure = known.get(path) or RenderFailure(path=path, since=now)
        if not failure.failing:
            failure.failing, failure.since = True, now
        failure.error, failure.failed_at = error, now
        failure.failures += 1
        failure.save()
    failing = RenderFailure.objects.filter(failing=True).values_list("path", flat=True)
    recovered = [path for path in failing if path in rendered]
    if recovered:
        RenderFailure.objects.filter(path__in=recovered).update(failing=False)


def failing_documents() -> list[RenderFailure]:
    """The public documents whose last render failed (each still served in its last good
    version), in path order."""
    return list(RenderFailure.objects.filter(failing=True).order_by("path"))


class RenderFailureCollector:
    """/metrics: failed renders per document since installation, and how many documents are
    failing now (read from the database at scrape time, so every worker's failures count)."""

    def collect(self):
        total = CounterMetricFamily(
            "incidentdesk_statuspage_render_failures",
            "Failed renders of a public status page document (it kept its last good version).",
            labels=["document"],
        )
        failing = 0
        for path, count, is_failing in RenderFailure.objects.order_by("path").values_list(
            "path", "failures", "failing"
        ):
            total.add_metric([path], count)
            failing += is_failing
        yield total
        yield GaugeMetricFamily(
            "incidentdesk_statuspage_documents_failing",
            "Public status page documents whose last render failed.",
            failing,
        )

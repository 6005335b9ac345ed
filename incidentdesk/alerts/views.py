"""The intake doors: what monitoring posts alerts to.

- `POST /alerts/in/<key>`: Alertmanager, Grafana and the generic shape. The key finds the
  integration; the integration's kind picks the source that reads the body.
- `POST /v2/enqueue`: PagerDuty's Events API v2. The key travels in the event's `routing_key`,
  and answers and refusals take PagerDuty's shape, so a tool written for PagerDuty reads them.

Each door reads the body (at most `MAX_BODY_BYTES`, else 413), finds the live integration of
the key (else 404), checks a signed Grafana integration's signature (else 401), has the source
read the body (else 400 naming the field) and hands the alerts to `alerts_receive`, the one
write path. Nothing is stored before all of that has passed, and nothing is called outside
the desk during the request: what follows an intake runs after commit, off the request.
"""

from types import ModuleType

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidentdesk.alerts.models import Integration, IntegrationKind
from incidentdesk.alerts.services import Received, alerts_receive, integration_for_key
from incidentdesk.alerts.sources import alertmanager, generic, grafana, pagerduty
from incidentdesk.alerts.sources.base import MAX_BODY_BYTES, SourceError
from incidentdesk.core.errors import IncidentDeskError, PermissionDenied
from incidentdesk.core.web import bounded_body

# The source that reads each kind posting to /alerts/in/<key>. PagerDuty has its own door,
# and mail comes in by the mail gateway, so neither kind's key opens this one.
KINDS: dict[str, ModuleType] = {
    IntegrationKind.ALERTMANAGER: alertmanager,
    IntegrationKind.GRAFANA: grafana,
    IntegrationKind.GENERIC: generic,
}
TOO_LARGE = f"the body is over {MAX_BODY_BYTES} bytes, or its length is garbled"
NO_INTEGRATION = "no integration takes alerts at this address; check the key in the URL"
NO_ROUTING_KEY = "no integration takes events with this routing key"
NOT_SIGNED = "the Grafana signature is missing, wrong or more than five minutes old"


class _Refused(Exception):
    def __init__(self, status: int, message: str, field: str = "") -> None:
        super().__init__(message)
        self.status, self.message, self.field = status, message, field


def _body(request: HttpRequest) -> bytes:
    """The request's body, refused (413) past MAX_BODY_BYTES before more of it is read."""
    body = bounded_body(request, MAX_BODY_BYTES)
    if body is None:
        raise _Refused(413, TOO_LARGE, "body")
    return body


def _receive(integration: Integration, source: ModuleType, request: HttpRequest, body: bytes):
    """Read the body with `source` and record its alerts: (alerts, Received)."""
    try:
        alerts = source.parse(body, dict(request.headers))
        return alerts, alerts_receive(integration=integration, alerts=alerts)
    except SourceError as exc:
        raise _Refused(400, exc.message, exc.field) from None
    except PermissionDenied:  # revoked between the look-up and the write
        raise _Refused(404, NO_INTEGRATION, "key") from None
    except IncidentDeskError as exc:
        raise _Refused(400, exc.message, exc.field or "") from None


def _summary(alerts: list, received: Received) -> dict:
    return {
        "status": "accepted",
        "alerts": len(alerts),
        "groups": {
            "opened": len(received.opened),
            "reopened": len(received.reopened),
            "updated": len(received.updated),
            "resolved": len(received.resolved),
        },
        "ignored": received.ignored,
    }


@csrf_exempt
@require_POST
def intake(request: HttpRequest, key: str) -> HttpResponse:
    """Take one webhook from Alertmanager, Grafana or a generic sender (module docstring)."""
    try:
        body = _body(request)
        integration = integration_for_key(key)
        source = KINDS.get(integration.kind) if integration is not None else None
        if integration is None or source is None:
            raise _Refused(404, NO_INTEGRATION, "key")
        if integration.signed and not grafana.verify(
            integration.signing_secret(), dict(request.headers), body
        ):
            raise _Refused(401, NOT_SIGNED, "signature")
        alerts, received = _receive(integration, source, request, body)
    except _Refused as refused:
        error = {"field": refused.field, "message": refused.message}
        return JsonResponse({"error": error}, status=refused.status)
    return JsonResponse(_summary(alerts, received))


@csrf_exempt
@require_POST
def enqueue(request: HttpRequest) -> HttpResponse:
    """Take one PagerDuty Events API v2 event; answer as PagerDuty does (202 with the
    event's `dedup_key`, generated for a trigger without one)."""
    try:
        body = _body(request)
        try:
            key = pagerduty.routing_key(body)
        except SourceError as exc:
            raise _Refused(400, exc.message, exc.field) from None
        integration = integration_for_key(key)
        if integration is None or integration.kind != IntegrationKind.PAGERDUTY:
            raise _Refused(404, NO_ROUTING_KEY, "routing_key")
        alerts, _ = _receive(integration, pagerduty, request, body)
    except _Refused as refused:
        reason = f"{refused.field}: {refused.message}" if refused.field else refused.message
        answer = {"status": "invalid event", "message": refused.message, "errors": [reason]}
        return JsonResponse(answer, status=refused.status)
    answer = {"status": "success", "message": "Event processed", "dedup_key": alerts[0].key}
    return JsonResponse(answer, status=202)

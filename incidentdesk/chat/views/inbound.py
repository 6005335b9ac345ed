"""One inbound endpoint for any chat platform: the raw request is checked by the platform
(`verify`), read by it (`parse`), and taken in by `chat.receive` — stored once, queued for a
worker — then acknowledged at once with an empty 200. Nothing is called on the platform here.

- a platform that is not configured: 404, so an install without it shows no door;
- a request that is not signed right, or too old: 401 with a short reason, nothing written;
- a body over `MAX_BODY` bytes: 413; one the platform cannot read: 400 with its reason;
- a handshake the platform answers itself (Slack's `url_verification`): its answer;
- a submitted form: the platform's answer to it (its errors by field, or "accepted").
"""

from django.http import HttpRequest, HttpResponse, JsonResponse

from incidentdesk.chat import registry
from incidentdesk.chat.receive import receive
from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.core.web import bounded_body

# Slack's largest payloads (a view_submission with many inputs) are tens of kilobytes.
MAX_BODY = 1024 * 1024
NOT_SIGNED = "the request's signature is missing, wrong or more than five minutes old"


def _text(reason: str, status: int) -> HttpResponse:
    return HttpResponse(reason + "\n", status=status, content_type="text/plain; charset=utf-8")


def take(request: HttpRequest, kind: str) -> HttpResponse:
    """Answer one delivery from the platform `kind` (see the module's docstring)."""
    try:
        platform = registry.platform(kind)
    except NotFound as exc:
        return _text(exc.message, 404)
    body = bounded_body(request, MAX_BODY)
    if body is None:
        return _text(f"the body is over {MAX_BODY} bytes", 413)
    headers = dict(request.headers)
    if not platform.verify(headers, body):
        return _text(NOT_SIGNED, 401)
    try:
        challenge = getattr(platform, "url_challenge", None)
        answer = challenge(headers, body) if challenge is not None else None
        if answer is not None:
            return _text(answer, 200)
        received = receive(platform, platform.parse(headers, body))
    except ValueError as exc:
        return _text(str(exc), 400)
    except IncidentDeskError as exc:
        return _text(exc.detail, 400)
    if received.form_answer:
        return JsonResponse(received.form_answer)
    return HttpResponse(status=200)

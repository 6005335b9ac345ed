"""Webhooks: Statuspage-shaped JSON bodies (from the renderer the topic registered for the
`webhook` kind, else the event's data as it is), signed, POSTed with one kept-alive connection per
host for the whole batch.

Each request carries
  Content-Type: application/json
  X-IncidentDesk-Delivery: <delivery key>   (the same on every retry: receivers dedupe on it)
  X-IncidentDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
Any 2xx is delivered; a 429's Retry-After is honoured; redirects are not followed;
WEBHOOK_TIMEOUT_SECONDS bounds each wait. The URL is checked again before sending
(addresses.resolve_webhook) and the connection goes to exactly the addresses that passed the
check (channels/posting.py)."""

import hashlib
import hmac
import json
import time

from incidentdesk.notifications import registry
from incidentdesk.notifications.channels.base import Outcome
from incidentdesk.notifications.channels.posting import PostingChannel
from incidentdesk.notifications.models import Delivery

USER_AGENT = "IncidentDesk-Webhooks/1"


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _standing(delivery: Delivery) -> registry.Standing:
    return getattr(delivery, "standing", registry.Standing())


def body_for(delivery: Delivery) -> bytes:
    """The event's webhook body; `meta.unsubscribe` is this recipient's own link."""
    event = delivery.event
    body = registry.words_for(event.topic, event.payload, "webhook")
    if body is None:
        body = registry.data_of(event.payload)
    url = _standing(delivery).unsubscribe_url
    if isinstance(body.get("meta"), dict) and url:
        body = {**body, "meta": {**body["meta"], "unsubscribe": url}}
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


class WebhookChannel(PostingChannel):
    def deliver(self, delivery: Delivery) -> Outcome:
        target = self.target_of(delivery)
        if isinstance(target, Outcome):
            return target
        body = body_for(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-IncidentDesk-Delivery": delivery.key,
            "X-IncidentDesk-Signature": signature_header(_standing(delivery).signing_secret, body),
        }
        answer = self.post(delivery, target, body, headers)
        if isinstance(answer, Outcome):
            return answer
        if answer.ok:
            return Outcome(delivery)
        if 300 <= answer.status < 400:
            location = answer.header("Location")
            return Outcome(
                delivery, f"HTTP {answer.status} to {location!r}: redirects are not followed"
            )
        return Outcome(
            delivery,
            f"HTTP {answer.status} {answer.reason}".strip(),
            retry_after=answer.retry_after() if answer.status == 429 else 0.0,
        )

"""Webhooks: Statuspage-shaped JSON bodies (from the renderer the topic registered for the
`webhook` kind, else the event's data as it is), signed, POSTed with one kept-alive connection per
host for the whole batch.

Each request carries
  Content-Type: application/json
  X-IncidentDesk-Delivery: <delivery key>   (the same on every retry: receivers dedupe on it)
  X-IncidentDesk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>
Any 2xx is delivered; redirects are not followed; WEBHOOK_TIMEOUT_SECONDS bounds each wait.
The URL is checked again before sending (addresses.resolve_webhook) and the connection goes to
exactly the addresses that passed the check."""

import hashlib
import hmac
import http.client
import json
import socket
import ssl
import time
from collections.abc import Iterator

from django.conf import settings

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry
from incidentdesk.notifications.addresses import AddressRefused, Target, resolve_webhook
from incidentdesk.notifications.channels.base import Outcome, describe
from incidentdesk.notifications.models import Delivery

RESPONSE_READ_LIMIT = 64 * 1024
USER_AGENT = "IncidentDesk-Webhooks/1"


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """`t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def _connect(target: Target, timeout: float) -> socket.socket:
    error: OSError | None = None
    for address in target.addresses:
        try:
            sock = socket.create_connection((address, target.port), timeout=timeout)
        except OSError as exc:
            error = exc
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock
    raise error or OSError(f"no address for {target.host}")


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the checked addresses, never to a fresh DNS answer."""

    def __init__(self, target: Target, timeout: float):
        super().__init__(target.host, target.port, timeout=timeout)
        self.target = target

    def connect(self):
        self.sock = _connect(self.target, self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    def __init__(self, target: Target, timeout: float):
        super().__init__(
            target.host, target.port, timeout=timeout, context=ssl.create_default_context()
        )
        self.target = target

    def connect(self):
        sock = _connect(self.target, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


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


class WebhookChannel:
    def __init__(self):
        self.timeout = settings.WEBHOOK_TIMEOUT_SECONDS
        self.connections: dict[tuple, http.client.HTTPConnection] = {}
        self.targets: dict[str, Target | ValidationError] = {}

    def send(self, batch: list[Delivery]) -> Iterator[Outcome]:
        try:
            for delivery in batch:
                yield self._deliver(delivery)
        finally:
            for connection in self.connections.values():
                connection.close()

    def _target(self, url: str) -> Target:
        # Resolved and checked once per URL per batch; a refusal is remembered too.
        if url not in self.targets:
            try:
                self.targets[url] = resolve_webhook(url)
            except ValidationError as exc:
                self.targets[url] = exc
        found = self.targets[url]
        if isinstance(found, ValidationError):
            raise found
        return found

    def _deliver(self, delivery: Delivery) -> Outcome:
        try:
            target = self._target(delivery.recipient)
        except AddressRefused as exc:
            return Outcome(delivery, f"refused: {exc.message}", permanent=True)
        except ValidationError as exc:
            return Outcome(delivery, exc.message)
        body = body_for(delivery)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-IncidentDesk-Delivery": delivery.key,
            "X-IncidentDesk-Signature": signature_header(_standing(delivery).signing_secret, body),
        }
        try:
            status, reason, location = self._post(target, body, headers)
        except TimeoutError:
            return Outcome(delivery, f"no answer within {self.timeout} s")
        except (OSError, http.client.HTTPException) as exc:
            return Outcome(delivery, describe(exc))
        if 200 <= status < 300:
            return Outcome(delivery)
        if 300 <= status < 400:
            return Outcome(delivery, f"HTTP {status} to {location!r}: redirects are not followed")
        return Outcome(delivery, f"HTTP {status} {reason}".strip())

    def _post(self, target: Target, body: bytes, headers: dict) -> tuple[int, str, str]:
        key = (target.scheme, target.host, target.port, target.addresses)
        reused = key in self.connections
        if not reused:
            kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
            self.connections[key] = kind(target, self.timeout)
        connection = self.connections[key]
        try:
            connection.request("POST", target.path, body=body, headers=headers)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            del self.connections[key]
            if not reused:
                raise
            # The receiver closed a kept-alive connection between requests: one fresh try.
            return self._post(target, body, headers)
        except BaseException:
            connection.close()
            del self.connections[key]
            raise
        response.read(RESPONSE_READ_LIMIT)
        if not response.isclosed():
            connection.close()  # a huge answer: drop the connection rather than read it all
            del self.connections[key]
        return response.status, response.reason, response.getheader("Location", "")

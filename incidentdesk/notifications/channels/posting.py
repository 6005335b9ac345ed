"""HTTP posting shared by the channel kinds that speak HTTP themselves (webhook, ntfy, sms):
one kept-alive connection per checked destination for a whole batch, made to exactly the
addresses that passed the check (see addresses.py), never to a fresh DNS answer.

Redirects are not followed, each wait is bounded by the channel's timeout, and at most
RESPONSE_READ_LIMIT bytes of an answer are read (a bigger answer drops its connection)."""

import email.utils
import http.client
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications.addresses import (
    AddressRefused,
    Target,
    Unresolvable,
    resolve_webhook,
)
from incidentdesk.notifications.channels.base import Outcome, describe
from incidentdesk.notifications.models import Delivery

RESPONSE_READ_LIMIT = 64 * 1024
# A receiver's Retry-After is honoured up to this long; past it the engine's backoff decides.
LONGEST_RETRY_AFTER = 3600.0


# What `Poster.post` raises when no answer came (TimeoutError is an OSError).
UNANSWERED = (OSError, http.client.HTTPException)


def unanswered(exc: BaseException, timeout: float) -> str:
    """Why no answer came, as one line for a delivery's last error."""
    if isinstance(exc, TimeoutError):
        return f"no answer within {timeout:g} s"
    return describe(exc)


@dataclass(frozen=True)
class Answer:
    status: int
    reason: str
    headers: http.client.HTTPMessage
    body: bytes  # at most RESPONSE_READ_LIMIT bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def header(self, name: str) -> str:
        return self.headers.get(name, "") or ""

    def retry_after(self) -> float:
        """The seconds a 429 or 503 answer asks us to wait (`Retry-After` as seconds or an
        HTTP date), 0 when it does not say; at most LONGEST_RETRY_AFTER."""
        value = self.header("Retry-After").strip()
        if not value:
            return 0.0
        try:
            seconds = float(value)
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError):
                return 0.0
            seconds = when.timestamp() - time.time()
        return min(max(seconds, 0.0), LONGEST_RETRY_AFTER)


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


def operator_target(url: str, *, field: str) -> Target:
    """A destination an operator configured (a provider's API address in the settings): it is
    resolved once and pinned like the others, but not held to the public-address rule, so
    an installation may point it at a gateway on its own network."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(f"{url!r} is not an http(s) URL", field=field)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Unresolvable(f"the host {parts.hostname!r} does not resolve", field=field) from None
    addresses = tuple(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    return Target(parts.scheme, parts.hostname, port, addresses, parts.path.rstrip("/"))


class Poster:
    """Posts for one batch. `target(url)` checks a receiver's URL once per batch (a refusal is
    remembered too); `post` reuses one connection per destination; `close` ends them all."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self.connections: dict[tuple, http.client.HTTPConnection] = {}
        self.targets: dict[str, Target | ValidationError] = {}

    def target(self, url: str) -> Target:
        """The checked destination of a receiver's URL (addresses.resolve_webhook), or the
        ValidationError that refused it (AddressRefused: retrying cannot help)."""
        if url not in self.targets:
            try:
                self.targets[url] = resolve_webhook(url)
            except ValidationError as exc:
                self.targets[url] = exc
        found = self.targets[url]
        if isinstance(found, ValidationError):
            raise found
        return found

    def post(self, target: Target, body: bytes, headers: dict, *, path: str = "") -> Answer:
        """POST `body` to `path` (default: the target's own path). Raises TimeoutError, OSError
        or http.client.HTTPException when no answer came."""
        key = (target.scheme, target.host, target.port, target.addresses)
        reused = key in self.connections
        if not reused:
            kind = _PinnedHTTPS if target.scheme == "https" else _PinnedHTTP
            self.connections[key] = kind(target, self.timeout)
        connection = self.connections[key]
        try:
            connection.request("POST", path or target.path, body=body, headers=headers)
            response = connection.getresponse()
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            connection.close()
            del self.connections[key]
            if not reused:
                raise
            # The receiver closed a kept-alive connection between requests: one fresh try.
            return self.post(target, body, headers, path=path)
        except BaseException:
            connection.close()
            del self.connections[key]
            raise
        data = response.read(RESPONSE_READ_LIMIT)
        if not response.isclosed():
            connection.close()  # a huge answer: drop the connection rather than read it all
            del self.connections[key]
        return Answer(response.status, response.reason, response.headers, data)

    def close(self) -> None:
        for connection in self.connections.values():
            connection.close()
        self.connections.clear()


class PostingChannel:
    """A channel kind that posts each delivery of a batch through one Poster, waiting at most
    WEBHOOK_TIMEOUT_SECONDS for each answer. Subclasses write `deliver(delivery)`."""

    def __init__(self):
        self.timeout = settings.WEBHOOK_TIMEOUT_SECONDS
        self.poster = Poster(self.timeout)

    def send(self, batch: list[Delivery]) -> Iterator[Outcome]:
        try:
            for delivery in batch:
                yield self.deliver(delivery)
        finally:
            self.poster.close()

    def deliver(self, delivery: Delivery) -> Outcome:
        raise NotImplementedError

    def target_of(self, delivery: Delivery) -> Target | Outcome:
        """The checked destination of the delivery's address, or the outcome of its refusal
        (permanent when the address policy refused it)."""
        try:
            return self.poster.target(delivery.recipient)
        except AddressRefused as exc:
            return Outcome(delivery, f"refused: {exc.message}", permanent=True)
        except ValidationError as exc:
            return Outcome(delivery, exc.message)

    def post(
        self, delivery: Delivery, target: Target, body: bytes, headers: dict, *, path: str = ""
    ) -> Answer | Outcome:
        """The answer, or the outcome of getting none."""
        try:
            return self.poster.post(target, body, headers, path=path)
        except UNANSWERED as exc:
            return Outcome(delivery, unanswered(exc, self.timeout))

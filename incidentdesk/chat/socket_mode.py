"""Receiving from a platform over a connection we open, for an install the platform cannot
reach (Slack's Socket Mode): what arrives is taken in exactly as the HTTP endpoints take it
(`receive.receive`: stored once, queued, a form answered), and acknowledged with its answer.

`incidentdesk chat slack-socket` runs this until it is stopped.
"""

import logging
import threading
from collections.abc import Callable
from typing import Any, Protocol

from django.db import close_old_connections, connections

from incidentdesk.chat.platforms.base import ChatPlatform, InboundEvent
from incidentdesk.chat.receive import receive
from incidentdesk.core.errors import IncidentDeskError

logger = logging.getLogger(__name__)

Take = Callable[[str, Any], dict[str, Any] | None]


class Connection(Protocol):
    def connect(self) -> None: ...

    def close(self) -> None: ...


class SocketPlatform(ChatPlatform, Protocol):
    """A platform that can receive over a connection it opens."""

    def parse_envelope(self, kind: str, payload: Any) -> list[InboundEvent]: ...

    def socket_connection(self, app_token: str, take: Take) -> Connection: ...


def taker(platform: SocketPlatform) -> Take:
    """The function a platform's connection hands each delivery to: `(kind, payload)` → the
    acknowledgement's payload (a submitted form's answer) or None. Raises `ValueError` for a
    payload the platform cannot read (the connection acknowledges it and logs it)."""

    def take(kind: str, payload: Any) -> dict[str, Any] | None:
        # Deliveries are taken on the connection's worker threads, a handful a minute: each
        # starts from a live database connection and closes it after, so no thread of a
        # stopped (or idle) client keeps one open.
        close_old_connections()
        try:
            events = platform.parse_envelope(kind, payload)
            return receive(platform, events).form_answer
        except IncidentDeskError as exc:  # ids the store refuses: as unreadable as bad JSON
            raise ValueError(exc.detail) from exc
        finally:
            connections.close_all()

    return take


def run(platform: SocketPlatform, app_token: str, *, stop: threading.Event) -> None:
    """Open the platform's connection and keep it until `stop` is set (the connection
    reconnects by itself when it drops)."""
    connection = platform.socket_connection(app_token, taker(platform))
    connection.connect()
    logger.info("connected to %s over its socket mode", platform.kind)
    try:
        stop.wait()
    finally:
        connection.close()

"""Slack's Socket Mode: for an install Slack cannot reach, the app opens a WebSocket to Slack
(`apps.connections.open` with the app-level token, `xapp-…`) and Slack sends every event, slash
command and interaction down it as an envelope, which must be acknowledged with its
`envelope_id` within three seconds (an unacknowledged one is sent again).

This uses `slack_sdk`'s built-in client (standard library only, no extra package). Each
envelope is handed to `take(kind, payload)`, which stores and queues it and returns what the
acknowledgement carries (a form's answer) or None. A payload that cannot be read is logged and
acknowledged anyway: sending it again would not make it readable. Anything else that fails
(the database is down) leaves the envelope unacknowledged, so Slack delivers it again.
"""

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.socket_mode.builtin.client import SocketModeClient
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

logger = logging.getLogger(__name__)

Take = Callable[[str, Any], dict[str, Any] | None]


class SocketMode:
    """One Socket Mode connection; `connect()` opens it (and it reconnects by itself when Slack
    asks it to or the connection drops), `close()` ends it."""

    def __init__(self, *, app_token: str, client: WebClient, take: Take) -> None:
        if not app_token.startswith("xapp-"):
            raise ValueError("Socket Mode needs an app-level token (xapp-…), not a bot token")
        self.take = take
        self.client = SocketModeClient(
            app_token=app_token, web_client=client, auto_reconnect_enabled=True
        )
        self.client.socket_mode_request_listeners.append(self._on_request)

    def connect(self) -> None:
        self.client.connect()

    def is_connected(self) -> bool:
        return self.client.is_connected()

    def close(self) -> None:
        self.client.close()

    def _on_request(self, client: BaseSocketModeClient, request: SocketModeRequest) -> None:
        try:
            answer = self.take(request.type, request.payload)
        except ValueError as exc:
            logger.warning(
                "Slack %s envelope %s unreadable: %s", request.type, request.envelope_id, exc
            )
            answer = None
        client.send_socket_mode_response(
            SocketModeResponse(envelope_id=request.envelope_id, payload=answer or None)
        )

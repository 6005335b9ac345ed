"""Socket Mode envelopes (https://api.slack.com/apis/socket-mode) read into events.

Over Socket Mode Slack sends, on a WebSocket the app opened, the same payloads it would POST to
the HTTP endpoints, already decoded: `events_api` carries the Events API's `event_callback`,
`slash_commands` the slash command's fields as an object, `interactive` the interaction payload.
They are read by the same code as the HTTP bodies (`inbound.py`), so both doors give the same
events under the same de-duplication keys. Other envelope types (`hello`, `disconnect`) carry
no event.
"""

from typing import Any

from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.chat.platforms.slack import inbound


def parse(kind: str, payload: Any, *, slash_command: str) -> list[InboundEvent]:
    """The events of an envelope of type `kind`; `ValueError` naming the problem for a payload
    that cannot be read."""
    if kind not in ("events_api", "slash_commands", "interactive"):
        return []
    if not isinstance(payload, dict):
        raise ValueError(f"the {kind} envelope's payload is not an object")
    if kind == "events_api":
        return inbound._events_api(payload)
    if kind == "slash_commands":
        if "command" not in payload:
            raise ValueError("the slash_commands envelope has no command")
        fields = {k: v if isinstance(v, str) else str(v) for k, v in payload.items()}
        return inbound._slash_command(fields, slash_command)
    return inbound._interaction(payload)

"""ntfy push notifications, published as JSON through ntfy's HTTP publish API.

The address is a topic URL, `https://ntfy.example.org/oncall-ada`: the server (optionally
under a path) and the topic, its last path segment (letters, digits, `-` and `_`, at most 64).
It is held to the webhook rules (https unless plain http is allowed, public addresses only,
checked again before every delivery and connected to exactly the checked addresses).

Each delivery is one `POST` of a JSON message to the server's root (the topic URL without
the topic), worded by the renderer its topic registered for the `ntfy` kind:
`{"title", "text", "priority": 1..5, "tags": [...], "click": url,
"actions": [{"label", "url", "method": "POST"|"GET"}]}`. An action with `POST` becomes an ntfy
`http` action (the phone sends the request in the background and clears the notification),
one with `GET` a `view` action (the phone opens the page). A server that needs a login gets
the access token (or user:password) NTFY_TOKENS names for its host."""

import base64
import json
import re
from urllib.parse import urlsplit

from django.conf import settings

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry
from incidentdesk.notifications.addresses import clean_webhook_url
from incidentdesk.notifications.channels.base import Outcome
from incidentdesk.notifications.channels.posting import Answer, PostingChannel
from incidentdesk.notifications.models import Delivery

USER_AGENT = "IncidentDesk-Ntfy/1"
TOPIC = re.compile(r"[-_A-Za-z0-9]{1,64}")
MAX_ACTIONS = 3  # ntfy shows at most three action buttons
# Answers a retry cannot mend: a message ntfy will never take as it is.
_REFUSED_FOR_GOOD = {400, 413}


def split_topic_url(url: str) -> tuple[str, str]:
    """(the server's root path, the topic) of a topic URL."""
    path = urlsplit(url).path
    root, _, topic = path.rstrip("/").rpartition("/")
    return f"{root}/", topic


def clean_topic_url(value, *, field: str = "address") -> str:
    """A topic URL as the `ntfy` kind sends to, or a ValidationError naming `field`."""
    url = clean_webhook_url(value, field=field)
    parts = urlsplit(url)
    if parts.query or parts.fragment:
        raise ValidationError("must be a topic URL without ?query or #fragment", field=field)
    _, topic = split_topic_url(url)
    if not TOPIC.fullmatch(topic):
        raise ValidationError(
            "must end with the topic: up to 64 letters, digits, - or _ "
            "(https://ntfy.example.org/oncall-ada)",
            field=field,
        )
    return url


def authorization(host: str, port: int, tokens: dict[str, str]) -> str:
    """The Authorization header for a server from NTFY_TOKENS (keyed `host` or `host:port`):
    an access token (`tk_…`) as a bearer token, `user:password` as basic auth; "" for none."""
    secret = tokens.get(f"{host}:{port}") or tokens.get(host) or ""
    if not secret:
        return ""
    if ":" in secret and not secret.startswith("tk_"):
        return "Basic " + base64.b64encode(secret.encode()).decode()
    return f"Bearer {secret}"


def _text(value, limit: int) -> str:
    return str(value or "")[:limit]


def _within_bytes(value, limit: int) -> str:
    # ntfy turns a message over 4,096 bytes into an attachment: keep it a message.
    return str(value or "").encode()[:limit].decode(errors="ignore")


def _action(action: dict) -> dict | None:
    url, label = str(action.get("url") or ""), _text(action.get("label"), 40)
    if not url or not label:
        return None
    method = str(action.get("method") or "GET").upper()
    if method == "GET":
        return {"action": "view", "label": label, "url": url}
    return {"action": "http", "label": label, "url": url, "method": method, "clear": True}


def message_for(topic: str, words: dict) -> dict:
    """ntfy's JSON message for `topic` from the `ntfy` words of an event."""
    message: dict = {"topic": topic, "message": _within_bytes(words.get("text"), 4000) or "-"}
    if words.get("title"):
        message["title"] = _text(words["title"], 250)
    try:
        message["priority"] = min(max(int(words.get("priority") or 3), 1), 5)
    except (TypeError, ValueError):
        message["priority"] = 3
    tags = words.get("tags") or []
    if isinstance(tags, list) and tags:
        message["tags"] = [_text(tag, 60) for tag in tags][:10]
    if words.get("click"):
        message["click"] = str(words["click"])
    given = [_action(a) for a in words.get("actions") or [] if isinstance(a, dict)]
    actions = [a for a in given if a][:MAX_ACTIONS]
    if actions:
        message["actions"] = actions
    return message


def _refusal(answer: Answer) -> str:
    """ntfy's own words for a refusal (`{"code", "http", "error"}`), else the status line."""
    try:
        error = json.loads(answer.body).get("error")
    except (ValueError, AttributeError):
        error = None
    reason = f"HTTP {answer.status} {answer.reason}".strip()
    return f"{reason}: {str(error)[:200]}" if error else reason


class NtfyChannel(PostingChannel):
    def deliver(self, delivery: Delivery) -> Outcome:
        event = delivery.event
        words = registry.words_for(event.topic, event.payload, "ntfy")
        if not words:
            return Outcome(delivery, f"no ntfy words for {event.topic!r}", permanent=True)
        target = self.target_of(delivery)
        if isinstance(target, Outcome):
            return target
        root, topic = split_topic_url(delivery.recipient)
        body = json.dumps(message_for(topic, words), ensure_ascii=False).encode()
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
        auth = authorization(target.host, target.port, settings.NTFY_TOKENS)
        if auth:
            headers["Authorization"] = auth
        answer = self.post(delivery, target, body, headers, path=root)
        if isinstance(answer, Outcome):
            return answer
        if answer.ok:
            return Outcome(delivery)
        if answer.status == 429:
            return Outcome(delivery, _refusal(answer), retry_after=answer.retry_after())
        return Outcome(delivery, _refusal(answer), permanent=answer.status in _REFUSED_FOR_GOOD)

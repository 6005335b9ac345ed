"""PagerDuty's Events API v2, so a tool that already sends to PagerDuty can send here unchanged.

One event per request (`POST /v2/enqueue`), as PagerDuty's Events API v2 documents it:
- `routing_key`: the integration key. PagerDuty's are 32 characters; any non-empty string of
  at most 255 is accepted, and `routing_key(body)` gives it to the intake view, which finds the
  integration by it before parsing.
- `event_action`: `trigger`, `acknowledge` or `resolve`, read as the status `firing`,
  `acknowledged` or `resolved`.
- `dedup_key` (at most 255 characters, case-sensitive): the alert's key and its group key. A
  trigger without one gets a new unique key (`AlertInput.key`), which the view answers with
  (`{"status": "success", "dedup_key": …}`); an acknowledge or resolve must name one.
- `payload` (required for a trigger): `summary` (at most 1024 characters), `source`, `severity`
  (`critical`, `error`, `warning` or `info`) are required; `timestamp` (ISO 8601 with an offset)
  becomes the start; `source`, `component`, `group` and `class` are also given as labels so
  routes can match them; `custom_details` is kept in the details. An acknowledge or resolve
  needs no payload and carries no summary.
- `links` (`href`, `text`) and `images` (`src`, `href`, `alt`) are kept in the details; the first
  link (else `client_url`) is the alert's URL. `client` and `client_url` are kept too.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from incidentdesk.alerts.sources.base import (
    MAX_KEY_LENGTH,
    AlertInput,
    AlertStatus,
    SourceError,
    free_json,
    key_text,
    load_json,
    text,
    timestamp,
    want_object,
)

ACTIONS: dict[str, AlertStatus] = {
    "trigger": "firing",
    "acknowledge": "acknowledged",
    "resolve": "resolved",
}
SEVERITIES = ("critical", "error", "warning", "info")
MAX_SUMMARY_LENGTH = 1024
MAX_LINKS = 50
LABEL_FIELDS = ("source", "component", "group", "class")


def routing_key(body: bytes) -> str:
    """The event's integration key, for finding its integration before reading the rest."""
    return routing_key_of(want_object(load_json(body), field="body"))


def parse(body: bytes, headers: Mapping[str, str]) -> list[AlertInput]:
    """The one AlertInput an Events API v2 event carries."""
    event = want_object(load_json(body), field="body")
    routing_key_of(event)
    action = event.get("event_action")
    if not isinstance(action, str) or action not in ACTIONS:
        raise SourceError('must be "trigger", "acknowledge" or "resolve"', field="event_action")
    dedup_key = key_text(event.get("dedup_key"), field="dedup_key")
    if not dedup_key:
        if action != "trigger":
            raise SourceError(f"is required to {action}", field="dedup_key")
        dedup_key = uuid.uuid4().hex
    raw_payload = event.get("payload")
    if raw_payload is None and action == "trigger":
        raise SourceError("is required for a trigger", field="payload")
    payload = {} if raw_payload is None else want_object(raw_payload, field="payload")
    required = action == "trigger"
    summary = text(
        payload.get("summary"),
        field="payload.summary",
        required=required,
        max_length=MAX_SUMMARY_LENGTH,
    )
    severity = payload.get("severity")
    if (required or severity is not None) and severity not in SEVERITIES:
        raise SourceError(
            'must be "critical", "error", "warning" or "info"', field="payload.severity"
        )
    labels = {}
    for name in LABEL_FIELDS:
        value = text(
            payload.get(name),
            field=f"payload.{name}",
            required=required and name == "source",
            max_length=MAX_KEY_LENGTH,
        )
        if value:
            labels[name] = value
    details, source_url = event_details(event, payload)
    return [
        AlertInput(
            key=dedup_key,
            group_key=dedup_key,
            status=ACTIONS[action],
            summary=summary,
            severity=severity or "",
            labels=labels,
            starts_at=timestamp(payload.get("timestamp"), field="payload.timestamp"),
            source_url=source_url,
            details=details,
        )
    ]


def routing_key_of(event: dict[str, Any]) -> str:
    return key_text(event.get("routing_key"), field="routing_key", required=True)


def event_details(event: dict[str, Any], payload: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """What the event says beyond the alert's fields, and the URL to show for it."""
    details: dict[str, Any] = {}
    if payload.get("custom_details") is not None:
        details["custom_details"] = free_json(
            payload["custom_details"], field="payload.custom_details"
        )
    client = text(event.get("client"), field="client")
    client_url = text(event.get("client_url"), field="client_url")
    if client:
        details["client"] = client
    if client_url:
        details["client_url"] = client_url
    links = entries(event.get("links"), field="links", names=("href", "text"))
    images = entries(event.get("images"), field="images", names=("src", "href", "alt"))
    if links:
        details["links"] = links
    if images:
        details["images"] = images
    first_link = next((link["href"] for link in links if link.get("href")), "")
    return details, first_link or client_url


def entries(value: Any, *, field: str, names: tuple[str, ...]) -> list[dict[str, str]]:
    """A list of small objects of strings (links, images), keeping only the known names."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise SourceError("must be a list", field=field)
    if len(value) > MAX_LINKS:
        raise SourceError(f"holds over {MAX_LINKS} entries", field=field)
    kept = []
    for index, item in enumerate(value):
        where = f"{field}[{index}]"
        entry = want_object(item, field=where)
        kept.append(
            {
                name: text(entry.get(name), field=f"{where}.{name}")
                for name in names
                if entry.get(name) is not None
            }
        )
    return kept

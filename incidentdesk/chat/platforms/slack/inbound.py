"""Slack's inbound payloads turned into the chat layer's `InboundEvent`s.

Three kinds of request arrive (https://api.slack.com/apis/events-api, /interactivity/slash-commands,
/reference/interaction-payloads):

- the Events API: JSON, `type` `event_callback` with one `event`, or `url_verification` with a
  `challenge` to echo (see `url_challenge`; `parse` returns no event for it);
- slash commands: a form (`command`, `text`, `user_id`, `channel_id`, `trigger_id`,
  `response_url`);
- interactions: a form with one field, `payload`, holding JSON (`view_submission`,
  `block_actions`, …).

How each becomes an event (its `kind`, then what it carries):

- `app_mention` → `command`; `text` is the line after the bot's mention.
- `message` from a person in a channel → `message`; bots, the app itself, direct messages,
  edits, deletions, joins and other notices are skipped.
  A mention of the bot arrives twice, as `app_mention` and as `message` (each with its own
  `event_id`): the first is the command, the second the transcript's line.
- `pin_added` / `pin_removed` → `pin` / `unpin`; `text` is the pinned message's, `message` its
  `ts`, `actor` who pinned; `values`: `author`, `posted_at` (ISO), `pinned_by`.
- `reaction_added` to a message → `reaction`; `reaction` is its name, `message` the `ts`;
  `values`: `author` (of the message).
- `channel_rename` → `conversation_renamed`; `text` is the new name.
- the slash command (`/incident <title>`) → `declare`; `text` is the title; no conversation
  (answers go to the person privately); `values`: `trigger_id`, `command`, `channel` (where
  it was typed); `reply_to` is the `response_url`.
- `view_submission` → `form_submit`; `values`: each input by its block id (`block.action` when a
  block holds several; a select's value, a list for a multi-select, "" when left empty), plus
  `_form` (the callback id), `_metadata` (the private metadata), `_view` (the view id) and
  `trigger_id`.
- `block_actions` → `button`, one per action; `values`: `action`, `block`, `value`, `trigger_id`.

De-duplication keys: `event_id` for events (a retried delivery carries the same one); `trigger_id`
for a slash command or an interaction (one per user gesture); the action's `action_ts` is added
for a button. A payload we cannot read raises `ValueError` naming the problem.
"""

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from incidentdesk.chat.platforms.base import InboundEvent

PLATFORM = "slack"

# Message subtypes that are still a person's words; every other subtype is a notice
# (channel_join, channel_topic, message_changed, message_deleted, pinned_item, bot_message, …).
_SPOKEN_SUBTYPES = {"", "thread_broadcast", "file_share", "me_message"}
# Interaction types that carry nothing for the chat layer (yet).
_QUIET_INTERACTIONS = {"view_closed", "shortcut", "message_action", "block_suggestion"}
# `<@U123>` or `<@U123|name>` opening an app_mention, and what separates it from the command.
_LEADING_MENTION = re.compile(r"^\s*<@[A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


def _is_form(headers: Mapping[str, str], body: bytes) -> bool:
    content_type = _lower_keys(headers).get("content-type", "")
    if "application/x-www-form-urlencoded" in content_type:
        return True
    if "json" in content_type:
        return False
    return not body.lstrip().startswith(b"{")


def _json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{what} is not valid JSON") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{what} is not a JSON object")
    return data


def _form(body: bytes) -> dict[str, str]:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError("the form is not UTF-8") from exc
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _text(data: Mapping[str, Any], key: str, what: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{what} has no {key}")
    return value


def _moment(ts: Any, what: str) -> datetime:
    """A Slack timestamp (`"1360782804.083113"`, seconds since the epoch) as an aware datetime."""
    try:
        return datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"{what} has no valid timestamp") from exc


def url_challenge(headers: Mapping[str, str], body: bytes) -> str | None:
    """The `challenge` to answer with when the request is Slack's `url_verification` (sent once
    when an admin sets the Request URL); None for any other request."""
    if _is_form(headers, body):
        return None
    data = _json_object(body, "the event payload")
    if data.get("type") != "url_verification":
        return None
    return _text(data, "challenge", "the url_verification payload")


def parse(headers: Mapping[str, str], body: bytes, *, slash_command: str) -> list[InboundEvent]:
    if _is_form(headers, body):
        form = _form(body)
        if "payload" in form:
            return _interaction(_json_object(form["payload"], "the interaction payload"))
        if "command" in form:
            return _slash_command(form, slash_command)
        raise ValueError("the form has neither a command nor a payload")
    return _events_api(_json_object(body, "the event payload"))


# --- Events API --------------------------------------------------------------------------------


def _events_api(data: dict[str, Any]) -> list[InboundEvent]:
    kind = data.get("type")
    if kind == "url_verification":
        _text(data, "challenge", "the url_verification payload")
        return []
    if kind == "app_rate_limited":  # Slack telling us it dropped events; nothing to act on
        return []
    if kind != "event_callback":
        raise ValueError(f"unknown payload type {kind!r}" if kind else "the payload has no type")
    event = data.get("event")
    if not isinstance(event, dict):
        raise ValueError("the event_callback has no event")
    event_id = _text(data, "event_id", "the event_callback")
    handler = _EVENTS.get(event.get("type", ""))
    if handler is None:
        return []
    return handler(event_id, event, _bot_users(data))


def _bot_users(data: dict[str, Any]) -> set[str]:
    """The app's own user ids, from the callback's `authorizations` (so its posts are skipped)."""
    found = data.get("authorizations") or []
    return {
        a["user_id"] for a in found if isinstance(a, dict) and a.get("is_bot") and a.get("user_id")
    }


def _event(event_id: str, kind: Any, **fields: Any) -> InboundEvent:
    return InboundEvent(platform=PLATFORM, dedup_key=event_id, kind=kind, **fields)


def _app_mention(event_id: str, event: dict, bots: set[str]) -> list[InboundEvent]:
    if event.get("bot_id") or event.get("user") in bots:
        return []
    return [
        _event(
            event_id,
            "command",
            conversation=_text(event, "channel", "the app_mention"),
            actor=_text(event, "user", "the app_mention"),
            occurred_at=_moment(event.get("ts"), "the app_mention"),
            text=_LEADING_MENTION.sub("", event.get("text") or "", count=1).strip(),
            message=event.get("ts", ""),
        )
    ]


def _message(event_id: str, event: dict, bots: set[str]) -> list[InboundEvent]:
    if event.get("subtype", "") not in _SPOKEN_SUBTYPES or event.get("bot_id"):
        return []
    if event.get("user") in bots or event.get("channel_type") == "im":
        return []
    return [
        _event(
            event_id,
            "message",
            conversation=_text(event, "channel", "the message"),
            actor=_text(event, "user", "the message"),
            occurred_at=_moment(event.get("ts"), "the message"),
            text=event.get("text") or "",
            message=event["ts"],
        )
    ]


def _pin(kind: str):
    def handle(event_id: str, event: dict, bots: set[str]) -> list[InboundEvent]:
        what = f"the {event.get('type')}"
        item = event.get("item")
        if not isinstance(item, dict):
            raise ValueError(f"{what} has no item")
        if item.get("type") != "message":  # a file or a comment: no words for the timeline
            return []
        pinned = item.get("message")
        if not isinstance(pinned, dict):
            raise ValueError(f"{what} has no item.message")
        pinned_by = _text(event, "user", what)
        return [
            _event(
                event_id,
                kind,
                conversation=event.get("channel_id") or _text(item, "channel", what),
                actor=pinned_by,
                occurred_at=_moment(event.get("event_ts"), what),
                text=pinned.get("text") or "",
                message=_text(pinned, "ts", f"{what}'s message"),
                values={
                    "author": pinned.get("user") or event.get("item_user") or "",
                    "posted_at": _moment(pinned["ts"], what).isoformat(),
                    "pinned_by": pinned_by,
                },
            )
        ]

    return handle


def _reaction(event_id: str, event: dict, bots: set[str]) -> list[InboundEvent]:
    item = event.get("item")
    if not isinstance(item, dict):
        raise ValueError("the reaction_added has no item")
    if item.get("type") != "message":
        return []
    return [
        _event(
            event_id,
            "reaction",
            conversation=_text(item, "channel", "the reaction_added item"),
            actor=_text(event, "user", "the reaction_added"),
            occurred_at=_moment(event.get("event_ts"), "the reaction_added"),
            reaction=_text(event, "reaction", "the reaction_added"),
            message=_text(item, "ts", "the reaction_added item"),
            values={"author": event.get("item_user") or ""},
        )
    ]


def _channel_rename(event_id: str, event: dict, bots: set[str]) -> list[InboundEvent]:
    channel = event.get("channel")
    if not isinstance(channel, dict):
        raise ValueError("the channel_rename has no channel")
    return [
        _event(
            event_id,
            "conversation_renamed",
            conversation=_text(channel, "id", "the channel_rename channel"),
            actor="",
            occurred_at=_moment(
                event.get("event_ts") or channel.get("created"), "the channel_rename"
            ),
            text=_text(channel, "name", "the channel_rename channel"),
        )
    ]


_EVENTS = {
    "app_mention": _app_mention,
    "message": _message,
    "pin_added": _pin("pin"),
    "pin_removed": _pin("unpin"),
    "reaction_added": _reaction,
    "channel_rename": _channel_rename,
}


# --- slash commands and interactions ----------------------------------------------------------


def _now() -> datetime:
    return datetime.now(tz=UTC)


def _slash_command(form: dict[str, str], slash_command: str) -> list[InboundEvent]:
    command = form["command"]
    if command != slash_command:
        raise ValueError(f"unknown slash command {command!r}")
    trigger_id = _text(form, "trigger_id", "the slash command")
    return [
        InboundEvent(
            platform=PLATFORM,
            dedup_key=f"trigger:{trigger_id}",
            kind="declare",
            # Nobody else sees a slash command, and the bot need not be in the channel it was
            # typed in: its answers go to the person privately (the channel is in `values`).
            conversation="",
            actor=_text(form, "user_id", "the slash command"),
            occurred_at=_now(),  # a slash command carries no time of its own
            text=form.get("text", "").strip(),
            values={
                "trigger_id": trigger_id,
                "command": command,
                "channel": form.get("channel_id", ""),
            },
            reply_to=form.get("response_url", ""),
        )
    ]


def _interaction(payload: dict[str, Any]) -> list[InboundEvent]:
    kind = payload.get("type")
    if kind == "view_submission":
        return _view_submission(payload)
    if kind == "block_actions":
        return _block_actions(payload)
    if kind in _QUIET_INTERACTIONS:
        return []
    raise ValueError(
        f"unknown interaction type {kind!r}" if kind else "the interaction has no type"
    )


def _actor(payload: dict[str, Any], what: str) -> str:
    user = payload.get("user")
    if not isinstance(user, dict):
        raise ValueError(f"the {what} has no user")
    return _text(user, "id", f"the {what} user")


def _element_value(element: dict[str, Any]) -> Any:
    """What an input or action element holds, whatever its type (text, select, users, date…)."""
    if "value" in element:
        return element["value"] or ""
    if "selected_option" in element:
        return (element["selected_option"] or {}).get("value", "")
    if "selected_options" in element:
        return [o.get("value", "") for o in element["selected_options"] or []]
    for single in ("user", "conversation", "channel", "date", "time", "date_time"):
        if f"selected_{single}" in element:
            return element[f"selected_{single}"] or ""
    for many in ("users", "conversations", "channels"):
        if f"selected_{many}" in element:
            return list(element[f"selected_{many}"] or [])
    return ""


def _view_submission(payload: dict[str, Any]) -> list[InboundEvent]:
    view = payload.get("view")
    if not isinstance(view, dict):
        raise ValueError("the view_submission has no view")
    state = (view.get("state") or {}).get("values")
    if not isinstance(state, dict):
        raise ValueError("the view_submission has no state.values")
    values: dict[str, Any] = {}
    for block_id, actions in state.items():
        if not isinstance(actions, dict):
            raise ValueError(f"the view_submission's block {block_id!r} is not an object")
        for action_id, element in actions.items():
            key = block_id if len(actions) == 1 else f"{block_id}.{action_id}"
            values[key] = _element_value(element if isinstance(element, dict) else {})
    trigger_id = _text(payload, "trigger_id", "the view_submission")
    values.update(
        _form=view.get("callback_id", ""),
        _metadata=view.get("private_metadata", ""),
        _view=view.get("id", ""),
        trigger_id=trigger_id,
    )
    return [
        InboundEvent(
            platform=PLATFORM,
            dedup_key=f"trigger:{trigger_id}",
            kind="form_submit",
            conversation="",
            actor=_actor(payload, "view_submission"),
            occurred_at=_now(),
            values=values,
        )
    ]


def _block_actions(payload: dict[str, Any]) -> list[InboundEvent]:
    actions = payload.get("actions")
    if not isinstance(actions, list) or not actions:
        raise ValueError("the block_actions has no actions")
    actor = _actor(payload, "block_actions")
    trigger_id = _text(payload, "trigger_id", "the block_actions")
    container = payload.get("container") or {}
    channel = (payload.get("channel") or {}).get("id") or container.get("channel_id", "")
    events = []
    for action in actions:
        if not isinstance(action, dict):
            raise ValueError("an action of the block_actions is not an object")
        action_id = _text(action, "action_id", "an action of the block_actions")
        action_ts = _text(action, "action_ts", "an action of the block_actions")
        events.append(
            InboundEvent(
                platform=PLATFORM,
                dedup_key=f"trigger:{trigger_id}:{action_ts}",
                kind="button",
                conversation=channel,
                actor=actor,
                occurred_at=_moment(action_ts, "an action of the block_actions"),
                message=container.get("message_ts", ""),
                values={
                    "action": action_id,
                    "block": action.get("block_id", ""),
                    "value": _element_value(action),
                    "trigger_id": trigger_id,
                },
                reply_to=payload.get("response_url", ""),
            )
        )
    return events

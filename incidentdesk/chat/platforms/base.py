"""The one protocol every chat platform implements (Slack, Matrix, later others).

Nothing outside a platform's folder (`chat/platforms/<kind>/`) knows its payloads or its ids'
shapes. A platform turns what it receives into `InboundEvent`s, and does what the chat layer
asks of it through the methods of `ChatPlatform`. The chat layer stores every inbound event
under `(platform, dedup_key)` before acting on it, so a delivery the platform repeats (a Slack
retry, a Matrix sync replayed after a restart) is acted on once.

Outbound calls are made from workers, never from the request that received an event: a
platform raises `ChatError` for a refusal (with the platform's own error code, e.g.
`channel_not_found`) and `RateLimited` when asked to wait, so the caller can retry later.
"""

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from incidentdesk.core.errors import ValidationError


class Capability(enum.Flag):
    """What a platform can do; the chat layer falls back to a link to the web page where a
    platform lacks one (a Matrix "declare" is a message, not a form)."""

    NONE = 0
    FORMS = enum.auto()  # modal forms opened from a command (Slack views)
    SLASH_COMMANDS = enum.auto()
    BUTTONS = enum.auto()
    PINS = enum.auto()
    REACTIONS = enum.auto()
    ARCHIVE = enum.auto()  # a conversation can be archived and unarchived


InboundKind = Literal[
    "command",  # a command of the command language addressed to the bot
    "declare",  # a request to declare (slash command, `!incident <title>`)
    "form_submit",  # a submitted form (Slack view_submission)
    "button",  # a pressed button (Slack block_actions)
    "message",  # any other message in a conversation the bot is in (for the transcript)
    "pin",
    "unpin",
    "reaction",
    "conversation_renamed",
]


@dataclass(frozen=True)
class InboundEvent:
    """One thing that happened on a platform, in the chat layer's words."""

    platform: str  # "slack", "matrix"
    dedup_key: str  # unique per platform: Slack event_id (or channel+ts), Matrix event_id
    kind: InboundKind
    conversation: str  # the platform's channel or room id ("" for none, e.g. a form)
    actor: str  # the platform's user id of who did it
    occurred_at: datetime
    text: str = ""  # the message, the command line, the declared title; captured on arrival
    message: str = ""  # the platform's id of the message a pin or reaction is about
    reaction: str = ""  # the reaction's name or key, for kind == "reaction"
    values: dict = field(default_factory=dict)  # a form's or button's values, by field name
    reply_to: str = ""  # where an answer goes when it is not the conversation (Slack response_url)


@dataclass(frozen=True)
class Conversation:
    id: str
    name: str


@dataclass(frozen=True)
class Button:
    """A button under a message: it either opens `url`, or sends `action` (with `value`) back
    as a `button` event. A platform without buttons shows the link, or nothing."""

    action: str
    label: str
    value: str = ""
    url: str = ""
    primary: bool = False


@dataclass(frozen=True)
class Message:
    """What to post: plain text always (notifications, screen readers, platforms without rich
    text), plus the platform's own rich form when its renderer made one, and buttons."""

    text: str
    rich: dict = field(default_factory=dict)  # e.g. Slack blocks, Matrix formatted_body
    buttons: tuple[Button, ...] = ()


@dataclass(frozen=True)
class PostedMessage:
    conversation: str
    id: str  # Slack ts, Matrix event id


@dataclass(frozen=True)
class ChatUser:
    id: str
    name: str
    email: str = ""  # only when the platform says it is verified


FieldKind = Literal[
    "text",  # one line
    "long_text",  # several lines
    "select",  # one of many, from a list
    "radio",  # one of a few, all shown
    "multi_select",  # any of many, from a list
    "checkboxes",  # any of a few, all shown
    "flag",  # yes or no
    "person",  # a user of the platform
    "moment",  # a date and time
]


@dataclass(frozen=True)
class Choice:
    value: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class FormField:
    """One input of a form. `name` is the key its value comes back under in the submitted
    event's `values`, and the field a refusal names (a platform shows the refusal next to it).

    What comes back, by kind (see `Form.read`): text — the text, "" when left empty; select and
    radio — the chosen value or ""; multi_select and checkboxes — a list of values; flag —
    anything true when ticked; person — the platform's user id or ""; moment — seconds since
    the epoch (or ISO 8601 text), or "" when left empty.

    `initial` is what the field shows at first: a text, a choice's value, a list of values,
    a user id, or an aware datetime for a moment. None shows nothing (a select then has no
    choice made: nothing is chosen for the person filling it in)."""

    name: str
    label: str
    kind: FieldKind = "text"
    required: bool = False
    initial: Any = None
    choices: tuple[Choice, ...] = ()
    hint: str = ""
    max_length: int = 0  # 0: the platform's own limit


@dataclass(frozen=True)
class Form:
    """A form a platform with `Capability.FORMS` shows (a Slack modal). Its submission comes
    back as a `form_submit` event whose `values` hold each field's value by name, plus `_form`
    (this `id`) and `_metadata` (this `metadata`)."""

    id: str
    title: str
    fields: tuple[FormField, ...]
    submit: str = "Submit"
    metadata: str = ""

    def read(self, values: dict) -> dict[str, Any]:
        """The submitted `values` of this form's fields, each in one shape whatever the
        platform: text stripped, lists for many, a bool for a flag, an aware datetime (or
        None) for a moment. A moment that cannot be read is a `ValidationError` naming it."""
        read: dict[str, Any] = {}
        for field_ in self.fields:
            raw = values.get(field_.name)
            if field_.kind in ("multi_select", "checkboxes"):
                read[field_.name] = [str(v) for v in raw] if isinstance(raw, list) else []
            elif field_.kind == "flag":
                read[field_.name] = bool(raw)
            elif field_.kind == "moment":
                read[field_.name] = _moment(raw, field_.name)
            else:
                read[field_.name] = raw.strip() if isinstance(raw, str) else ""
        return read


def _moment(raw: Any, name: str) -> datetime | None:
    if raw in (None, ""):
        return None
    try:
        if isinstance(raw, int | float) or (isinstance(raw, str) and raw.isdigit()):
            return datetime.fromtimestamp(float(raw), tz=UTC)
        moment = datetime.fromisoformat(str(raw))
    except (TypeError, ValueError, OverflowError, OSError):
        raise ValidationError("is not a date and time", field=name) from None
    if moment.tzinfo is None:
        raise ValidationError("has no time zone", field=name)
    return moment


class ChatError(Exception):
    """The platform refused a call; `code` is its own error code (`name_taken`, `M_FORBIDDEN`)."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.message = message or code


class RateLimited(ChatError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("ratelimited", f"rate limited; retry after {retry_after:g} s")
        self.retry_after = retry_after


class ChatPlatform(Protocol):
    kind: str
    capabilities: Capability

    @property
    def announcements(self) -> str:
        """The conversation new incidents are announced in ("" for none)."""
        ...

    # inbound (in the request that received it; must be quick)
    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """Whether the request really comes from the platform (signature, token), and is
        recent enough not to be a replay."""
        ...

    def parse(self, headers: dict[str, str], body: bytes) -> list[InboundEvent]:
        """The events a verified request carries. Raises `ValueError` naming the problem for a
        payload it cannot read."""
        ...

    # outbound (from workers)
    def post(self, conversation: str, message: Message, *, key: str) -> PostedMessage:
        """Post `message`; `key` is ours and makes a repeated call post once where the
        platform allows it (Matrix transaction ids)."""
        ...

    def update(self, posted: PostedMessage, message: Message) -> None: ...

    def create_conversation(self, name: str, *, topic: str, private: bool = False) -> Conversation:
        """A new conversation named from `name` (within the platform's rules), with `topic`.
        `private=True` gives one only invited people can find, or raises; never a public one."""
        ...

    def link(self, conversation: str) -> str:
        """A web address that opens `conversation` in the platform's client."""
        ...

    def rename_conversation(self, conversation: str, name: str) -> None: ...

    def archive_conversation(self, conversation: str) -> None: ...

    def unarchive_conversation(self, conversation: str) -> None: ...

    def invite(self, conversation: str, users: list[str]) -> None: ...

    def direct_message(self, user: str, message: Message, *, key: str = "") -> PostedMessage:
        """Post `message` to `user` privately; `key` as for `post` (a repeat posts once where
        the platform allows it)."""
        ...

    def user(self, user: str) -> ChatUser: ...


class FormsPlatform(ChatPlatform, Protocol):
    """A platform with `Capability.FORMS` also opens forms."""

    def open_form(self, trigger: str, form: Form) -> str:
        """Show `form` to whoever made the gesture `trigger` (a Slack trigger_id, valid for
        three seconds: call it first, from the worker that took the event); the shown form's
        id. A trigger that expired raises `ChatError("expired_trigger_id")`."""
        ...

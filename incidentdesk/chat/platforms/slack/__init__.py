"""Slack, the primary chat platform: the Events API, a slash command and interactive forms in,
the Web API out (through `slack_sdk`).

Only this folder knows Slack's payloads and ids. Inbound requests are checked (`verify`) and
read (`parse`, see `inbound.py` for what each payload becomes); an Events API `url_verification`
is answered with `url_challenge(...)` before parsing. Outbound calls raise `ChatError(code)` with
Slack's own error code, or `RateLimited(retry_after)` on HTTP 429; they never sleep, the worker
that made the call retries later. A connection failure propagates as the `OSError` it is.
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from incidentdesk.chat.platforms.base import (
    Capability,
    ChatError,
    ChatUser,
    Conversation,
    Form,
    FormsPlatform,
    InboundEvent,
    Message,
    PostedMessage,
    RateLimited,
)
from incidentdesk.chat.platforms.slack import envelopes, forms, inbound, socket_mode
from incidentdesk.chat.platforms.slack.names import channel_name, with_suffix

__all__ = ["SlackIdentity", "SlackPlatform", "channel_name"]

DEFAULT_API_URL = "https://slack.com/api/"
APP_REDIRECT = "https://slack.com/app_redirect"
# Slack takes up to 1,000 users a call; smaller calls fail less as a whole.
INVITE_CHUNK = 100
# How many `-2`, `-3`, … a new channel's name tries when the name is taken.
NAME_ATTEMPTS = 10
TOPIC_LENGTH = 250
TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SlackIdentity:
    """Who the bot token belongs to (`auth.test`), for the admin page's connection check."""

    team: str
    team_id: str
    user: str
    user_id: str
    bot_id: str
    url: str


class SlackPlatform:
    kind = "slack"
    capabilities = (
        Capability.FORMS
        | Capability.SLASH_COMMANDS
        | Capability.BUTTONS
        | Capability.PINS
        | Capability.REACTIONS
        | Capability.ARCHIVE
    )

    def __init__(
        self,
        *,
        signing_secret: str,
        token: str,
        api_url: str = DEFAULT_API_URL,
        incidents_channel: str = "",
        slash_command: str = "/incident",
    ) -> None:
        self.signing_secret = signing_secret
        self.incidents_channel = incidents_channel
        self.slash_command = slash_command
        self.client = WebClient(
            token=token,
            base_url=api_url if api_url.endswith("/") else api_url + "/",
            timeout=TIMEOUT_SECONDS,
        )

    @classmethod
    def from_settings(cls) -> "SlackPlatform":
        from django.conf import settings

        return cls(
            signing_secret=settings.SLACK_SIGNING_SECRET,
            token=settings.SLACK_BOT_TOKEN,
            api_url=settings.SLACK_API_URL,
            incidents_channel=settings.SLACK_INCIDENTS_CHANNEL,
        )

    @property
    def announcements(self) -> str:
        return self.incidents_channel

    # --- inbound -------------------------------------------------------------------------------

    def verify(self, headers: Mapping[str, str], body: bytes) -> bool:
        """Slack's v0 signature over the raw body, with the request's time at most five minutes
        from ours either way. Missing or garbled headers, or no signing secret: False."""
        if not self.signing_secret:
            return False
        try:
            return SignatureVerifier(self.signing_secret).is_valid_request(body, dict(headers))
        except (ValueError, TypeError, OverflowError):
            # a timestamp that is not a number, a body that is not UTF-8
            return False

    def url_challenge(self, headers: Mapping[str, str], body: bytes) -> str | None:
        """The text to answer a verified `url_verification` request with; None for others."""
        return inbound.url_challenge(headers, body)

    def parse(self, headers: Mapping[str, str], body: bytes) -> list[InboundEvent]:
        return inbound.parse(headers, body, slash_command=self.slash_command)

    def parse_envelope(self, kind: str, payload: Any) -> list[InboundEvent]:
        """The events a Socket Mode envelope carries (`events_api`, `slash_commands`,
        `interactive`): the same payloads the HTTP endpoints receive, already decoded."""
        return envelopes.parse(kind, payload, slash_command=self.slash_command)

    def socket_connection(self, app_token: str, take: socket_mode.Take) -> socket_mode.SocketMode:
        """A Socket Mode connection (not yet open) that hands each envelope's type and payload
        to `take` and acknowledges it with what `take` returns (see `socket_mode.py`)."""
        return socket_mode.SocketMode(app_token=app_token, client=self.client, take=take)

    def form_response(self, event: InboundEvent, errors: Mapping[str, str]) -> dict[str, Any]:
        """The answer to a `view_submission`: empty (Slack closes the modal) when accepted,
        else `response_action: errors` with each message under its field's block; a message
        for the form as a whole, or for a field the form has no block for, goes under the
        form's first block (Slack shows errors only next to input blocks)."""
        if not errors:
            return {}
        blocks = _blocks(event)
        by_block: dict[str, list[str]] = {}
        for name, text in errors.items():
            block = name.split(".")[0]
            if block not in blocks:
                block = blocks[0] if blocks else name or "form"
            by_block.setdefault(block, []).append(text)
        return {
            "response_action": "errors",
            "errors": {block: " ".join(texts) for block, texts in by_block.items()},
        }

    # --- outbound ------------------------------------------------------------------------------

    def post(self, conversation: str, message: Message, *, key: str) -> PostedMessage:
        """`chat.postMessage`. Slack has no idempotency key for posts; the outbox's record of
        what was delivered is what keeps a retry from posting twice."""
        with _slack_errors():
            answer = self.client.chat_postMessage(
                channel=conversation, text=message.text, **_rich(message)
            )
        return PostedMessage(conversation=answer["channel"], id=answer["ts"])

    def update(self, posted: PostedMessage, message: Message) -> None:
        with _slack_errors():
            self.client.chat_update(
                channel=posted.conversation, ts=posted.id, text=message.text, **_rich(message)
            )

    def create_conversation(self, name: str, *, topic: str, private: bool = False) -> Conversation:
        """A channel (private when `private`) named from `name` within Slack's rules; when the
        name is taken (by a live or an archived channel) `-2`, `-3`, … are tried. The topic is
        set after."""
        base = channel_name(name)
        candidate = base
        for attempt in range(2, NAME_ATTEMPTS + 2):
            try:
                with _slack_errors():
                    answer = self.client.conversations_create(name=candidate, is_private=private)
                break
            except ChatError as exc:
                if exc.code != "name_taken" or attempt > NAME_ATTEMPTS:
                    raise
                candidate = with_suffix(base, attempt)
        channel = answer["channel"]
        if topic:
            with _slack_errors():
                self.client.conversations_setTopic(
                    channel=channel["id"], topic=topic[:TOPIC_LENGTH]
                )
        return Conversation(id=channel["id"], name=channel["name"])

    def link(self, conversation: str) -> str:
        """Slack's redirect, which opens the channel in the reader's own workspace and client."""
        return f"{APP_REDIRECT}?channel={quote(conversation, safe='')}"

    def rename_conversation(self, conversation: str, name: str) -> None:
        with _slack_errors():
            self.client.conversations_rename(channel=conversation, name=channel_name(name))

    def archive_conversation(self, conversation: str) -> None:
        with _slack_errors(ignore={"already_archived"}):
            self.client.conversations_archive(channel=conversation)

    def unarchive_conversation(self, conversation: str) -> None:
        with _slack_errors(ignore={"not_archived"}):
            self.client.conversations_unarchive(channel=conversation)

    def invite(self, conversation: str, users: list[str]) -> None:
        """Invites in chunks. Slack fails a whole call when one user is already in the channel,
        so such a chunk is sent again one user at a time, skipping those already there."""
        wanted = list(dict.fromkeys(u for u in users if u))
        for start in range(0, len(wanted), INVITE_CHUNK):
            chunk = wanted[start : start + INVITE_CHUNK]
            try:
                self._invite(conversation, chunk)
            except ChatError as exc:
                if exc.code != "already_in_channel" or len(chunk) == 1:
                    raise
                for user in chunk:
                    with _slack_errors(ignore={"already_in_channel", "cant_invite_self"}):
                        self._invite(conversation, [user])

    def _invite(self, conversation: str, users: list[str]) -> None:
        with _slack_errors(ignore={"already_in_channel"} if len(users) == 1 else set()):
            self.client.conversations_invite(channel=conversation, users=users)

    def direct_message(self, user: str, message: Message, *, key: str = "") -> PostedMessage:
        with _slack_errors():
            opened = self.client.conversations_open(users=[user])
        return self.post(opened["channel"]["id"], message, key=key)

    def user(self, user: str) -> ChatUser:
        """`users.info`. The email is given only when Slack has one (it needs the
        `users:read.email` scope) and does not say it is unconfirmed."""
        with _slack_errors():
            answer = self.client.users_info(user=user)
        found = answer["user"]
        profile = found.get("profile") or {}
        name = profile.get("display_name") or profile.get("real_name") or found.get("name", "")
        email = profile.get("email") or ""
        if found.get("is_email_confirmed") is False:
            email = ""
        return ChatUser(id=found["id"], name=name, email=email)

    def open_form(self, trigger: str, form: Form) -> str:
        """`views.open` of the form as a modal (see `forms.py`) within the trigger's three
        seconds; the view's id. An expired trigger raises `ChatError("expired_trigger_id")`."""
        with _slack_errors():
            answer = self.client.views_open(trigger_id=trigger, view=forms.view(form))
        return answer["view"]["id"]

    def auth_test(self, *, timeout: float | None = None) -> SlackIdentity:
        """Who the bot token belongs to; `timeout` (seconds) for a check that must not wait
        long (the admin page)."""
        client = self.client
        if timeout is not None:
            client = WebClient(
                token=client.token, base_url=client.base_url, timeout=max(1, round(timeout))
            )
        with _slack_errors():
            answer = client.auth_test()
        return SlackIdentity(
            team=answer.get("team", ""),
            team_id=answer.get("team_id", ""),
            user=answer.get("user", ""),
            user_id=answer.get("user_id", ""),
            bot_id=answer.get("bot_id", ""),
            url=answer.get("url", ""),
        )


def _blocks(event: InboundEvent) -> list[str]:
    """The block ids of a submitted form's inputs, in the form's order (a value is keyed by its
    block, or `block.action` when a block holds several; `_form`, `trigger_id` are not inputs)."""
    inputs = (k for k in event.values if not k.startswith("_") and k != "trigger_id")
    return list(dict.fromkeys(k.split(".")[0] for k in inputs))


def _rich(message: Message) -> dict[str, Any]:
    """The message's blocks: its own, else, when it has buttons, its text as a section with
    the buttons under it (a URL button opens its link; the others come back as block_actions
    whose action_id is the button's action)."""
    blocks = message.rich.get("blocks")
    if blocks:
        return {"blocks": blocks}
    if not message.buttons:
        return {}
    elements = []
    for button in message.buttons:
        element: dict[str, Any] = {
            "type": "button",
            "action_id": button.action,
            "text": {"type": "plain_text", "text": button.label[:75], "emoji": True},
        }
        if button.url:
            element["url"] = button.url
        if button.value:
            element["value"] = button.value[:2000]
        if button.primary:
            element["style"] = "primary"
        elements.append(element)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": message.text[:3000]}}
    return {"blocks": [section, {"type": "actions", "elements": elements[:25]}]}


@contextmanager
def _slack_errors(ignore: set[str] | frozenset[str] = frozenset()) -> Iterator[None]:
    """Slack's refusals as `ChatError(code)`, HTTP 429 as `RateLimited`; codes in `ignore`
    (the state asked for is already there) are not errors."""
    try:
        yield
    except SlackApiError as exc:
        response = exc.response
        if response.status_code == 429:
            raise RateLimited(_retry_after(response.headers)) from exc
        data = response.data if isinstance(response.data, dict) else {}
        code = data.get("error") or f"http_{response.status_code}"
        if code in ignore:
            return
        raise ChatError(code) from exc


def _retry_after(headers: Mapping[str, Any]) -> float:
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(float(raw), 0.0)
            except (TypeError, ValueError):
                break
    return 1.0


if TYPE_CHECKING:  # mypy holds the class to the protocol
    _platform: FormsPlatform = SlackPlatform(signing_secret="", token="")

"""What a `/sync` answer carries, in the chat layer's words (`InboundEvent`s).

Only joined rooms' timelines are read, and in them only what the chat layer acts on:
- `m.room.message`: a "command" when it starts with `!` or mentions the bot (the prefix or the
  mention is taken off), a "declare" for `!incident <title>` (or a mention followed by
  `incident <title>`), else a "message" for the transcript; a command or a declaration is also
  a "message" (its key: the event id + `:message`), since it was said in the room. An edit
  (`m.replace`) is a "message" with its new text, never a command again.
- `m.room.pinned_events`: a "pin" for each event id added to the list and an "unpin" for each
  one taken off, found by comparing with the list before the change: Synapse sends it as
  `unsigned.prev_content`; otherwise the last list this reader saw for the room.
- `m.reaction` (an `m.annotation`): a "reaction" with its key (the emoji itself, `📌`) and the
  event it is on; the chat layer takes a name or its emoji alike (`transcripts.is_pin_reaction`).

People named in a command are given in the chat layer's common form, `<@@alice:example.com>`
(see `handling.MENTION`): a full user id in the text, and a pill (a link to
`https://matrix.to/#/@alice:example.com` in `formatted_body`, whose text the plain body holds
as a display name). The bot's own mention is the address, not a person, and is left out.

A room the bot has just joined comes with its recent history; only what follows the bot's own
join is read, so an old `!sev 1` in a room the bot is invited to is never acted on.
Invitations (`rooms.invite`) are read apart (`invites`): whether to join is the platform's call.

The bot's own events are left out; `dedup_key` is the event id, unique on the homeserver.
"""

import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

from incidentdesk.chat.platforms.base import InboundEvent, InboundKind

KIND = "matrix"
DECLARE_WORD = "incident"
TEXT_MEMORY = 2000  # message texts kept to give a pin the text of a message seen earlier
# A full Matrix user id in text: @localpart:server, the server a host name (never ending in a
# dot, so "lead @ann:example.com." keeps its full stop), an IPv4 or [IPv6] address, and a port.
USER_ID = re.compile(
    r"(?<![\w<@])@[A-Za-z0-9._=\-/+]+:"
    r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*)(?::\d{1,5})?"
)
PILL_PREFIXES = ("https://matrix.to/#/", "matrix:u/")


@dataclass(frozen=True)
class Invite:
    """The bot was invited to `room` by `inviter`."""

    room: str
    inviter: str


@dataclass(frozen=True)
class SyncBatch:
    """What one `/sync` brought: the events, the token to read on from, the invitations."""

    events: list[InboundEvent]
    next_batch: str
    invites: list[Invite]


class Reader:
    """Turns sync answers into events; keeps the little it must remember between answers (the
    pinned list of each room, recent message texts), so one reader serves one sync loop."""

    def __init__(self, bot_user: str, bot_name: str = "") -> None:
        self.bot_user = bot_user
        localpart = bot_user[1:].split(":", 1)[0]
        names = {localpart} | ({bot_name} if bot_name else set())
        alternatives = "|".join(re.escape(name) for name in sorted(names, key=len, reverse=True))
        # A mention at the start, as clients write it in the plain body: the user id
        # ("@bot:hs sev 1"), or the name followed by a colon or comma ("Bot: sev critical");
        # a bare name is talk ("bot is down").
        self._leading_mention = re.compile(
            rf"^\s*(?:{re.escape(bot_user)}[:,]?|@?(?:{alternatives})[:,])\s*", re.IGNORECASE
        )
        self.pins: dict[str, list[str]] = {}
        self.texts: OrderedDict[str, str] = OrderedDict()

    def read(
        self, answer: dict, fetch_text: Callable[[str, str], str] | None = None
    ) -> list[InboundEvent]:
        """The events of one `/sync` answer, in order. `fetch_text(room, event_id)` gives a
        pinned message's text when this reader has not seen the message itself."""
        rooms = answer.get("rooms")
        joined = rooms.get("join") if isinstance(rooms, dict) else None
        if not isinstance(joined, dict):
            return []
        events: list[InboundEvent] = []
        for room, data in joined.items():
            if not isinstance(data, dict):
                continue
            for state in _events(data.get("state")):
                if state.get("type") == "m.room.pinned_events" and state.get("state_key") == "":
                    self.pins[room] = _pinned(state.get("content"))
            for event in self._since_joined(_events(data.get("timeline"))):
                events.extend(self._event(room, event, fetch_text))
        return events

    def invites(self, answer: dict) -> list[Invite]:
        """The rooms this answer says the bot is invited to, with who invited it."""
        rooms = answer.get("rooms")
        invited = rooms.get("invite") if isinstance(rooms, dict) else None
        if not isinstance(invited, dict):
            return []
        found = []
        for room, data in invited.items():
            inviter = ""
            for state in _events(data.get("invite_state") if isinstance(data, dict) else None):
                content = state.get("content")
                if (
                    state.get("type") == "m.room.member"
                    and state.get("state_key") == self.bot_user
                    and isinstance(content, dict)
                    and content.get("membership") == "invite"
                ):
                    inviter = str(state.get("sender") or "")
            found.append(Invite(str(room), inviter))
        return found

    def _since_joined(self, timeline: list[dict]) -> list[dict]:
        """The timeline after the bot's own join when it is in it (the room was just joined,
        and what came before is history), else the whole timeline."""
        for index in range(len(timeline) - 1, -1, -1):
            event = timeline[index]
            if event.get("type") != "m.room.member" or event.get("state_key") != self.bot_user:
                continue
            content, unsigned = event.get("content"), event.get("unsigned")
            before = unsigned.get("prev_content") if isinstance(unsigned, dict) else None
            joined = isinstance(content, dict) and content.get("membership") == "join"
            # A join after a join is a profile change, not the bot arriving.
            rejoined = isinstance(before, dict) and before.get("membership") == "join"
            if joined and not rejoined:
                return timeline[index + 1 :]
        return timeline

    def _event(
        self, room: str, event: dict, fetch_text: Callable[[str, str], str] | None
    ) -> Iterator[InboundEvent]:
        kind, sender, event_id = event.get("type"), event.get("sender"), event.get("event_id")
        content = event.get("content")
        if not isinstance(sender, str) or not isinstance(event_id, str):
            return
        if not isinstance(content, dict):
            return
        if kind == "m.room.pinned_events" and event.get("state_key") == "":
            yield from self._pin_changes(room, event, fetch_text)
            return
        if sender == self.bot_user:
            return
        if kind == "m.room.message":
            message = self._message(room, event, content)
            if message:
                yield message
                if message.kind in ("command", "declare"):
                    # Said in the room, so part of its transcript too (as on Slack, where a
                    # mention arrives as a command and as a message).
                    body = str(content.get("body") or "")
                    yield _inbound(
                        event, room, "message", key="message", text=body, message=event_id
                    )
        elif kind == "m.reaction":
            relation = content.get("m.relates_to")
            if isinstance(relation, dict) and relation.get("rel_type") == "m.annotation":
                yield _inbound(
                    event,
                    room,
                    "reaction",
                    message=str(relation.get("event_id") or ""),
                    reaction=str(relation.get("key") or ""),
                )

    def _message(self, room: str, event: dict, content: dict) -> InboundEvent | None:
        relation = content.get("m.relates_to")
        if isinstance(relation, dict) and relation.get("rel_type") == "m.replace":
            new = content.get("m.new_content")
            text = str(new.get("body") or "") if isinstance(new, dict) else ""
            self._remember(str(relation.get("event_id") or ""), text)
            return _inbound(event, room, "message", text=text, message=relation.get("event_id"))
        body = content.get("body")
        if not isinstance(body, str):
            return None
        self._remember(event["event_id"], body)
        command = self.command_text(_pills_as_ids(body, content), content)
        if command is None:
            return _inbound(event, room, "message", text=body)
        command = self.people(command)
        word, _, rest = command.partition(" ")
        if word.lower() == DECLARE_WORD:
            return _inbound(event, room, "declare", text=rest.strip())
        return _inbound(event, room, "command", text=command)

    def people(self, command: str) -> str:
        """`command` with each user id in the common mention form (`<@@ann:hs>`); the bot's
        own id, an address rather than a person, is taken out."""

        def mention(match: re.Match) -> str:
            user = match.group(0)
            return "" if user == self.bot_user else f"<@{user}>"

        return " ".join(USER_ID.sub(mention, command).split())

    def command_text(self, body: str, content: dict) -> str | None:
        """The command line a message addresses to the bot, or None for ordinary talk."""
        text = body.strip()
        if text.startswith("!"):
            return text[1:].strip()
        mentions = content.get("m.mentions")
        mentioned = isinstance(mentions, dict) and self.bot_user in (mentions.get("user_ids") or [])
        stripped = self._leading_mention.sub("", text, count=1)
        if stripped != text:
            return stripped.strip()
        if mentioned or self.bot_user in text:
            return " ".join(text.replace(self.bot_user, " ").split()).strip(" :,")
        return None

    def _pin_changes(
        self, room: str, event: dict, fetch_text: Callable[[str, str], str] | None
    ) -> Iterator[InboundEvent]:
        now = _pinned(event["content"])
        unsigned = event.get("unsigned")
        before_content = unsigned.get("prev_content") if isinstance(unsigned, dict) else None
        before = (
            _pinned(before_content) if isinstance(before_content, dict) else self.pins.get(room, [])
        )
        self.pins[room] = now
        if event["sender"] == self.bot_user:
            return
        for pinned in now:
            if pinned not in before:
                text = self.texts.get(pinned)
                if text is None and fetch_text is not None:
                    text = fetch_text(room, pinned)
                yield _inbound(
                    event, room, "pin", message=pinned, text=text or "", key=f"{pinned}:pin"
                )
        for unpinned in before:
            if unpinned not in now:
                yield _inbound(event, room, "unpin", message=unpinned, key=f"{unpinned}:unpin")

    def _remember(self, event_id: str, text: str) -> None:
        if not event_id:
            return
        self.texts[event_id] = text
        self.texts.move_to_end(event_id)
        while len(self.texts) > TEXT_MEMORY:
            self.texts.popitem(last=False)


class _Pills(HTMLParser):
    """The links of a `formatted_body` that point at a user: (user id, the link's text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._user: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._user = _pill_user(dict(attrs).get("href") or "")
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._user is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._user is not None:
            self.found.append((self._user, "".join(self._text).strip()))
            self._user = None


def _pill_user(href: str) -> str | None:
    for prefix in PILL_PREFIXES:
        if href.startswith(prefix):
            target = unquote(href[len(prefix) :]).split("?", 1)[0]
            user = target if prefix.startswith("https") else "@" + target
            return user if USER_ID.fullmatch(user) else None
    return None


def _pills_as_ids(body: str, content: dict) -> str:
    """The plain body with each pill's text (a display name, as clients write it there)
    replaced by the user id the pill links to, in the order the pills come."""
    formatted = content.get("formatted_body")
    if content.get("format") != "org.matrix.custom.html" or not isinstance(formatted, str):
        return body
    parser = _Pills()
    try:
        parser.feed(formatted)
        parser.close()
    except (AssertionError, ValueError):  # markup too broken to read: the body as it is
        return body
    start = 0
    for user, name in parser.found:
        name = unescape(name)
        if not name or name == user:
            continue
        at = body.find(name, start)
        if at < 0:
            continue
        body = body[:at] + user + body[at + len(name) :]
        start = at + len(user)
    return body


def _events(section: object) -> list[dict]:
    events = section.get("events") if isinstance(section, dict) else None
    if not isinstance(events, list):
        return []
    return [event for event in events if isinstance(event, dict)]


def _pinned(content: object) -> list[str]:
    pinned = content.get("pinned") if isinstance(content, dict) else None
    return [item for item in pinned if isinstance(item, str)] if isinstance(pinned, list) else []


def _inbound(
    event: dict, room: str, kind: InboundKind, *, key: str = "", **fields: object
) -> InboundEvent:
    stamp = event.get("origin_server_ts")
    when = (
        datetime.fromtimestamp(stamp / 1000, tz=UTC)
        if isinstance(stamp, int | float)
        else datetime.now(tz=UTC)
    )
    # One pinned-list change can pin and unpin several messages: each gets its own key.
    dedup = f"{event['event_id']}:{key}" if key else event["event_id"]
    return InboundEvent(
        platform=KIND,
        dedup_key=dedup,
        kind=kind,
        conversation=room,
        actor=event["sender"],
        occurred_at=when,
        **{name: str(value or "") for name, value in fields.items()},  # type: ignore[arg-type]
    )

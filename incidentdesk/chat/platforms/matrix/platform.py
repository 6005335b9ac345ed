"""The Matrix platform: a bot account on a homeserver, through the Client-Server API v3.

- **Rooms are conversations.** An incident's room is private (`private_chat` preset: invite
  only, history shared with members); the bot creates it and so holds the power to rename and
  close it.
- **Posting is idempotent by our key**: the key is the transaction id of
  `PUT /rooms/{room}/send/m.room.message/{txnId}`, so a worker that repeats a post after a lost
  answer gets the first event back instead of a second message. The homeserver remembers a
  transaction id per device for a while (Synapse: about 30 minutes), which covers a worker's
  retries, not a replay days later.
- **Editing** is an `m.replace` event: clients show the message with its new text.
- **Pins.** Members of an incident room may pin (`m.room.pinned_events` needs power level 0
  instead of the default 50): pinning is how they put a message on the timeline.
- **Archiving.** Matrix has no archived rooms. Closing one makes it read-only: the power levels
  needed to post (`events_default`) and to pin go to 100, so members keep the room and its
  history but only the bot (the room's creator) can post; the bot stays, to be able to re-open
  it, which puts both back to 0. Leaving or tombstoning the room would lose that.
- **Direct messages** go to a room created with `is_direct`, recorded in the bot's `m.direct`
  account data as clients do, so the next message to the same person reuses it.
- **People.** A profile gives a display name only: Matrix tells a bot no verified email for
  another user, so a Matrix user is linked to an account by an admin, not by email.
- **Inbound** comes from `/sync`, which the bot pulls over its own authenticated connection to
  the homeserver it was configured with; there is no request pushed to us to sign, so `verify`
  trusts it. (An application service would push transactions with an `hs_token` to check.)
  The sync worker (`chat/matrix_sync.py`) loops on `poll`.
- **Invitations** are accepted from people on the bot's own homeserver (the organisation's
  users) and declined from anyone else: a bot that joined any room on the federation would
  read, and answer in, rooms nobody here chose.
"""

import json
import uuid
from typing import Any
from urllib.parse import quote

from incidentdesk.chat.platforms.base import (
    Capability,
    ChatError,
    ChatUser,
    Conversation,
    InboundEvent,
    Message,
    PostedMessage,
)

from .api import MatrixAPI, segment
from .inbound import KIND, Invite, Reader, SyncBatch

ARCHIVED_LEVEL = 100  # only the bot (and room admins) may post in a closed room
OPEN_LEVEL = 0  # Matrix's default for events_default
PINS = "m.room.pinned_events"
SYNC_TYPES = ["m.room.message", "m.reaction", PINS]
# The bot's own join tells where a newly joined room's history ends (see inbound.py).
TIMELINE_TYPES = [*SYNC_TYPES, "m.room.member"]
SYNC_LIMIT = 100  # timeline events per room and answer
MATRIX_TO = "https://matrix.to/#/"


class MatrixPlatform:
    kind = KIND
    capabilities = Capability.PINS | Capability.REACTIONS | Capability.ARCHIVE

    def __init__(
        self, *, homeserver_url: str, bot_user: str, token: str, incidents_room: str = ""
    ) -> None:
        self.api = MatrixAPI(homeserver_url, token)
        self.bot_user = bot_user
        self.incidents_room = incidents_room
        self.reader = Reader(bot_user)

    @classmethod
    def from_settings(cls) -> "MatrixPlatform":
        from django.conf import settings

        return cls(
            homeserver_url=settings.MATRIX_HOMESERVER_URL,
            bot_user=settings.MATRIX_BOT_USER,
            token=settings.MATRIX_BOT_TOKEN,
            incidents_room=settings.MATRIX_INCIDENTS_ROOM,
        )

    @property
    def announcements(self) -> str:
        return self.incidents_room

    # inbound

    def verify(self, headers: dict[str, str], body: bytes) -> bool:
        """Events are pulled from the configured homeserver by the bot itself (see the module's
        docstring): nothing arrives unasked, so there is nothing to check."""
        return True

    def parse(self, headers: dict[str, str], body: bytes) -> list[InboundEvent]:
        """The events of a `/sync` answer (its JSON body)."""
        try:
            answer = json.loads(body)
        except ValueError as exc:
            raise ValueError(f"the sync answer is not JSON: {exc}") from exc
        if not isinstance(answer, dict):
            raise ValueError("the sync answer is not a JSON object")
        return self.reader.read(answer, fetch_text=self._event_text)

    def sync(self, since: str = "", *, wait_ms: int = 0) -> tuple[list[InboundEvent], str]:
        """One `/sync` (long-polling up to `wait_ms`): the new events and the token to pass as
        `since` next time."""
        batch = self.poll(since, wait_ms=wait_ms)
        return batch.events, batch.next_batch

    def poll(self, since: str = "", *, wait_ms: int = 0) -> SyncBatch:
        """One `/sync` with the invitations it brought too; for the sync worker, which loops on
        it and stores `next_batch`."""
        query = {"timeout": str(wait_ms), "filter": json.dumps(self._filter())}
        if since:
            query["since"] = since
        answer = self.api.call("GET", "/sync", query=query, timeout=wait_ms / 1000 + 30)
        token = answer.get("next_batch")
        if not isinstance(token, str) or not token:
            raise ChatError("bad_answer", "the sync answer has no next_batch")
        events = self.reader.read(answer, fetch_text=self._event_text)
        return SyncBatch(events, token, self.reader.invites(answer))

    def answer_invite(self, invite: Invite) -> bool:
        """Join the room when the invitation comes from the bot's own homeserver, else
        decline it (see the module); whether the bot joined."""
        server = self.bot_user.partition(":")[2]
        if invite.inviter.partition(":")[2] == server:
            self.api.call("POST", f"/join/{segment(invite.room)}", {})
            return True
        self.api.call("POST", f"/rooms/{segment(invite.room)}/leave", {})
        return False

    def _filter(self) -> dict:
        return {
            "presence": {"not_types": ["*"]},
            "account_data": {"not_types": ["*"]},
            "room": {
                "timeline": {"types": TIMELINE_TYPES, "limit": SYNC_LIMIT},
                "state": {"types": [PINS]},
                "ephemeral": {"not_types": ["*"]},
                "account_data": {"not_types": ["*"]},
            },
        }

    def _event_text(self, room: str, event_id: str) -> str:
        """A message's text read back (for a pin of a message sent before this bot listened)."""
        try:
            event = self.api.call("GET", f"/rooms/{segment(room)}/event/{segment(event_id)}")
        except ChatError:
            return ""
        content = event.get("content")
        return str(content.get("body") or "") if isinstance(content, dict) else ""

    # outbound

    def post(self, conversation: str, message: Message, *, key: str) -> PostedMessage:
        answer = self.api.call(
            "PUT",
            f"/rooms/{segment(conversation)}/send/m.room.message/{segment(key)}",
            _content(message),
        )
        return PostedMessage(conversation, str(answer["event_id"]))

    def update(self, posted: PostedMessage, message: Message) -> None:
        new = _content(message)
        edit = {
            **new,
            "body": f"* {message.text}",
            "m.new_content": new,
            "m.relates_to": {"rel_type": "m.replace", "event_id": posted.id},
        }
        edit.pop("formatted_body", None)
        edit.pop("format", None)
        # A repeated edit is harmless (it says the same), so each call is its own transaction.
        self.api.call(
            "PUT",
            f"/rooms/{segment(posted.conversation)}/send/m.room.message/{uuid.uuid4().hex}",
            edit,
        )

    def create_conversation(self, name: str, *, topic: str, private: bool = False) -> Conversation:
        """A room only invited people join (always: `private` asks for nothing more)."""
        answer = self.api.call(
            "POST",
            "/createRoom",
            {"name": name, "topic": topic, "preset": "private_chat", "visibility": "private"},
        )
        room = str(answer["room_id"])
        self._set_levels(room, OPEN_LEVEL)
        return Conversation(room, name)

    def link(self, conversation: str) -> str:
        """A matrix.to link, which opens the room in whatever client the reader uses."""
        return f"{MATRIX_TO}{quote(conversation, safe='!:')}"

    def rename_conversation(self, conversation: str, name: str) -> None:
        self.api.call("PUT", f"/rooms/{segment(conversation)}/state/m.room.name/", {"name": name})

    def archive_conversation(self, conversation: str) -> None:
        self._set_levels(conversation, ARCHIVED_LEVEL)

    def unarchive_conversation(self, conversation: str) -> None:
        self._set_levels(conversation, OPEN_LEVEL)

    def _set_levels(self, conversation: str, level: int) -> None:
        """The power level needed to post and to pin: members can do both in an open room
        (pinning is how they add to the timeline), neither in a closed one."""
        path = f"/rooms/{segment(conversation)}/state/m.room.power_levels/"
        levels = self.api.call("GET", path)
        events = levels.get("events")
        events = dict(events) if isinstance(events, dict) else {}
        if levels.get("events_default") == level and events.get(PINS) == level:
            return
        self.api.call(
            "PUT", path, levels | {"events_default": level, "events": events | {PINS: level}}
        )

    def invite(self, conversation: str, users: list[str]) -> None:
        """Invites each user not already in the room or invited (a repeat is no error)."""
        for user in users:
            if self._membership(conversation, user) in {"join", "invite"}:
                continue
            self.api.call("POST", f"/rooms/{segment(conversation)}/invite", {"user_id": user})

    def _membership(self, conversation: str, user: str) -> str:
        try:
            member = self.api.call(
                "GET", f"/rooms/{segment(conversation)}/state/m.room.member/{segment(user)}"
            )
        except ChatError as exc:
            if exc.code == "M_NOT_FOUND":
                return ""
            raise
        return str(member.get("membership") or "")

    def direct_message(self, user: str, message: Message, *, key: str = "") -> PostedMessage:
        """In the direct room with `user` (made once, then found in `m.direct`); with our key
        as the transaction id, a retried delivery posts once."""
        return self.post(self._direct_room(user), message, key=key or uuid.uuid4().hex)

    def _direct_room(self, user: str) -> str:
        path = f"/user/{segment(self.bot_user)}/account_data/m.direct"
        try:
            direct: dict[str, Any] = self.api.call("GET", path)
        except ChatError as exc:
            if exc.code != "M_NOT_FOUND":
                raise
            direct = {}
        rooms = direct.get(user)
        if isinstance(rooms, list) and rooms and isinstance(rooms[0], str):
            return rooms[0]
        room = self.api.call(
            "POST",
            "/createRoom",
            {"preset": "trusted_private_chat", "is_direct": True, "invite": [user]},
        )["room_id"]
        self.api.call("PUT", path, direct | {user: [room]})
        return str(room)

    def user(self, user: str) -> ChatUser:
        """The display name from the user's profile; never an email (see the module)."""
        profile = self.api.call("GET", f"/profile/{segment(user)}")
        return ChatUser(user, str(profile.get("displayname") or user))

    def whoami(self, *, timeout: float = 30) -> str:
        """The user id the access token belongs to (`/account/whoami`), for the admin page's
        connection check; a refused token raises `ChatError("M_UNKNOWN_TOKEN")`."""
        answer = self.api.call("GET", "/account/whoami", timeout=timeout)
        return str(answer.get("user_id") or "")


def _content(message: Message) -> dict:
    """An `m.text` message; `message.rich` adds Matrix content fields such as
    `format` and `formatted_body` (HTML). Matrix has no buttons: a link button becomes a line
    with its link, the others are left to the commands the text names."""
    links = [f"{b.label}: {b.url}" for b in message.buttons if b.url]
    body = "\n".join([message.text, *links])
    return {"msgtype": "m.text", "body": body, **message.rich}

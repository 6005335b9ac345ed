"""An incident's chat transcript, and its pins on the timeline.

- Every message said in an incident's conversation is kept as it arrives (`message_capture`),
  so nothing depends on reading a platform's history later (Slack allows a self-hosted app one
  `conversations.history` call a minute).
- Pinning a message, or reacting to it with the pin reaction (`CHAT_PIN_REACTION`), puts it on
  the incident's timeline as a pinned `chat_message` entry, with its author and the time it was
  said, written as the person who pinned it (`message_pin`). Unpinning takes the entry out of
  the pinned view; it stays on the timeline (`message_unpin`).
- A closed incident's transcript is kept for the retention period an admin sets
  (`ChatSettings.transcript_retention_days`; unset, forever), then deleted by a daily task
  (`transcripts_purge`); the pinned entries stay, and the purge is recorded on the timeline.

The handlers are registered with the chat dispatcher (`register`, from the chat app's ready()).
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require_or_system
from incidentdesk.chat import handling, services
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import ChatIdentity, ChatMessage, ChatSettings, IncidentConversation
from incidentdesk.chat.platforms.base import ChatError, InboundEvent
from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import safe_text
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.timeline import (
    BODY_MAX,
    record_entry,
    timeline_entry_add,
    timeline_entry_pin,
)

logger = logging.getLogger(__name__)

TRANSCRIPT_PURGED = "transcript_purged"
NO_TEXT = "(a message whose text was not captured)"

# A reaction arrives as a name (Slack: `pushpin`) or as the emoji itself (a Matrix reaction's
# key: 📌). A name stands for its emoji here, so one setting serves every platform.
EMOJI = {
    "pushpin": "📌",
    "round_pushpin": "📍",
    "star": "⭐",
    "bookmark": "🔖",
    "memo": "📝",
    "white_check_mark": "✅",
    "eyes": "👀",
}
_VARIATION = "\ufe0f"  # the emoji presentation selector some clients add to a key


def is_pin_reaction(reaction: str) -> bool:
    """Whether `reaction` (a name, `:name:`, or an emoji) is the configured pin reaction."""
    wanted = settings.CHAT_PIN_REACTION.strip().strip(":").replace(_VARIATION, "")
    given = reaction.strip().strip(":").replace(_VARIATION, "")
    if not wanted or not given:
        return False
    same = {wanted.lower(), EMOJI.get(wanted.lower(), wanted)}
    return given.lower() in same or given in same


# Capture ------------------------------------------------------------------------------------


def conversation_of(event: InboundEvent) -> IncidentConversation | None:
    """The incident conversation `event` happened in, or None for any other conversation."""
    if not event.conversation:
        return None
    return (
        IncidentConversation.objects.select_related("incident")
        .filter(platform=event.platform, conversation=event.conversation)
        .first()
    )


def author_name(platform: str, user_id: str) -> str:
    """What the author is called: the name we know them by, else the platform's answer (met
    once, then known); "" when neither says."""
    if not user_id:
        return ""
    known = ChatIdentity.objects.filter(platform=platform, external_id=user_id).first()
    if known is not None:
        return known.name
    try:
        return services.identity_for(platform, platforms.platform(platform).user(user_id)).name
    except (ChatError, OSError, IncidentDeskError):
        return ""


def message_capture(event: InboundEvent) -> ChatMessage | None:
    """Keep a message said in an incident's conversation (None for any other conversation,
    or once its transcript was purged). A message is kept once under its id; the same id
    again (an edit) replaces the text, keeping when it was said."""
    link = conversation_of(event)
    if link is None or link.transcript_purged_at is not None:
        return None
    message_id = event.message or event.dedup_key
    text = safe_text(event.text)
    found = ChatMessage.objects.filter(conversation=link, message=message_id).first()
    if found is None:
        try:
            with transaction.atomic():
                return ChatMessage.objects.create(
                    conversation=link,
                    message=message_id,
                    author=event.actor,
                    author_name=author_name(event.platform, event.actor),
                    text=text,
                    posted_at=event.occurred_at,
                )
        except IntegrityError:  # the same message, stored by another worker meanwhile
            found = ChatMessage.objects.get(conversation=link, message=message_id)
    if text and found.text != text:
        found.text = text
        found.save(update_fields=["text"])
    return found


# Pins ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Pinned:
    """What a pin says about the message it is on."""

    message: str
    author: str
    text: str
    posted_at: datetime | None


def _pinned(event: InboundEvent) -> Pinned:
    values = event.values or {}
    posted_at = None
    if values.get("posted_at"):
        try:
            posted_at = datetime.fromisoformat(str(values["posted_at"]))
        except ValueError:
            posted_at = None
        if posted_at is not None and timezone.is_naive(posted_at):
            posted_at = None
    return Pinned(event.message, str(values.get("author") or ""), event.text, posted_at)


def _message_for_pin(link: IncidentConversation, pinned: Pinned, when: datetime) -> ChatMessage:
    """The transcript's row for the pinned message, made from the pin when the message itself
    was not captured (said before the bot was there, or before this feature)."""
    found = ChatMessage.objects.filter(conversation=link, message=pinned.message).first()
    if found is not None:
        changed = []
        if not found.text and pinned.text:
            found.text = safe_text(pinned.text)
            changed.append("text")
        if not found.author and pinned.author:
            found.author = pinned.author
            found.author_name = author_name(link.platform, pinned.author)
            changed += ["author", "author_name"]
        if changed:
            found.save(update_fields=changed)
        return found
    try:
        with transaction.atomic():
            return ChatMessage.objects.create(
                conversation=link,
                message=pinned.message,
                author=pinned.author,
                author_name=author_name(link.platform, pinned.author),
                text=safe_text(pinned.text),
                posted_at=pinned.posted_at or when,
            )
    except IntegrityError:
        return ChatMessage.objects.get(conversation=link, message=pinned.message)


def entry_body(message: ChatMessage) -> str:
    """The timeline's words for a pinned message: who said it, then what they said."""
    who = message.author_name or message.author or "Someone"
    body = f"{who}: {message.text.strip() or NO_TEXT}"
    return body if len(body) <= BODY_MAX else body[: BODY_MAX - 1] + "…"


def message_pin(
    *, actor: User, source: ActionSource, event: InboundEvent, link: IncidentConversation
) -> ChatMessage:
    """Put the message a pin (or the pin reaction) is about on the incident's timeline: one
    pinned `chat_message` entry per message, at the time it was said, with its author, written
    as `actor` (who pinned it; needs the timeline permission and sight of the incident).
    Pinning it again pins that entry again; it never makes a second one."""
    if not can_see(actor, link.incident):
        raise NotFound("there is no such incident", field="incident")
    pinned = _pinned(event)
    with transaction.atomic():
        row = _message_for_pin(link, pinned, event.occurred_at)
        message = ChatMessage.objects.select_for_update().get(pk=row.pk)
        if message.entry is not None:
            timeline_entry_pin(actor=actor, source=source, entry=message.entry, pinned=True)
        else:
            message.entry = timeline_entry_add(
                actor=actor,
                source=source,
                incident=link.incident,
                kind=EntryKind.CHAT_MESSAGE,
                body=entry_body(message),
                occurred_at=min(message.posted_at, timezone.now()),
                pinned=True,
                data={
                    "platform": link.platform,
                    "conversation": link.conversation,
                    "message": message.message,
                    "author": message.author,
                    "author_name": message.author_name,
                    "posted_at": message.posted_at.isoformat(),
                },
            )
        message.pinned = True
        message.save(update_fields=["pinned", "entry"])
    return message


def message_unpin(
    *, actor: User, source: ActionSource, event: InboundEvent, link: IncidentConversation
) -> ChatMessage | None:
    """Take a message's entry out of the pinned view (it stays on the timeline). None when the
    message was never pinned here."""
    if not can_see(actor, link.incident):
        raise NotFound("there is no such incident", field="incident")
    with transaction.atomic():
        message = (
            # Only the message's row is locked (PostgreSQL locks no outer join's null side).
            ChatMessage.objects.select_for_update(of=("self",))
            .select_related("entry")
            .filter(conversation=link, message=event.message)
            .first()
        )
        if message is None:
            return None
        if message.entry is not None:
            timeline_entry_pin(actor=actor, source=source, entry=message.entry, pinned=False)
        if message.pinned:
            message.pinned = False
            message.save(update_fields=["pinned"])
    return message


# Retention ----------------------------------------------------------------------------------


def transcripts_purge(
    *, actor: User | None = None, source: ActionSource = ActionSource.SYSTEM, now=None
) -> list[IncidentConversation]:
    """Delete the transcripts of incidents closed longer ago than the retention period
    (`ChatSettings.transcript_retention_days`; unset keeps them forever). The pinned
    messages' timeline entries stay; each purge is recorded on its incident's timeline and in
    the log, and marks the conversation purged (nothing more is captured there). Runs daily
    (tasks.purge_transcripts); an admin may run it by hand."""
    require_or_system(actor, source, Perm.CHAT_ADMIN)
    days = ChatSettings.current().transcript_retention_days
    if days is None:
        return []
    now = now or timezone.now()
    due = IncidentConversation.objects.select_related("incident").filter(
        incident__status=IncidentStatus.CLOSED,
        incident__closed_at__lt=now - timedelta(days=days),
        transcript_purged_at__isnull=True,
    )
    purged = []
    for link in due:
        with transaction.atomic():
            count, _ = ChatMessage.objects.filter(conversation=link).delete()
            link.transcript_purged_at = now
            link.save(update_fields=["transcript_purged_at"])
            _record_purge(link, count, days, actor=actor, source=source)
        logger.info(
            "chat transcript of %s (%s %s) purged: %d messages, retention %d days",
            link.incident.reference,
            link.platform,
            link.conversation,
            count,
            days,
        )
        purged.append(link)
    return purged


def _record_purge(
    link: IncidentConversation, count: int, days: int, *, actor, source: ActionSource
) -> None:
    where = f"#{link.name}" if link.name else link.conversation
    messages = "1 message" if count == 1 else f"{count} messages"
    record_entry(
        incident=link.incident,
        kind=EntryKind.EVENT,
        body=(
            f"The chat transcript of {where} ({link.platform}, {messages}) was deleted: "
            f"transcripts are kept {days} days after an incident closes. Pinned messages "
            "stay on the timeline."
        ),
        actor=actor,
        source=source,
        data={
            "event": TRANSCRIPT_PURGED,
            "platform": link.platform,
            "conversation": link.conversation,
            "messages": count,
            "retention_days": days,
        },
    )


# Reading ------------------------------------------------------------------------------------


def transcript_of(incident: Incident, *, limit: int | None = None) -> list[dict]:
    """The incident's conversations, each with its messages in the order they were said (the
    latest `limit` of them when given) and how many there are in all."""
    out = []
    for link in IncidentConversation.objects.filter(incident=incident).order_by("platform"):
        messages = ChatMessage.objects.filter(conversation=link)
        total = messages.count() if limit is not None else None
        if limit is not None:
            shown = list(messages.order_by("-posted_at", "-pk")[:limit])[::-1]
        else:
            shown = list(messages)
        out.append(
            {
                "conversation": link,
                "messages": shown,
                "total": len(shown) if total is None else total,
            }
        )
    return out


# Handlers -----------------------------------------------------------------------------------


def _on_message(event: InboundEvent) -> None:
    message_capture(event)


def _on_pin(event: InboundEvent) -> None:
    link = conversation_of(event)
    if link is None:
        return
    actor = handling.actor_of(event)  # an unlinked pinner is refused before anything is written
    message_pin(actor=actor, source=ActionSource.CHAT, event=event, link=link)


def _on_unpin(event: InboundEvent) -> None:
    link = conversation_of(event)
    if link is None:
        return
    actor = handling.actor_of(event)
    message_unpin(actor=actor, source=ActionSource.CHAT, event=event, link=link)


def _on_reaction(event: InboundEvent) -> None:
    if not is_pin_reaction(event.reaction):
        return
    _on_pin(event)


def register() -> None:
    handling.on_kind("message", _on_message)
    handling.on_kind("pin", _on_pin)
    handling.on_kind("unpin", _on_unpin)
    handling.on_kind("reaction", _on_reaction)

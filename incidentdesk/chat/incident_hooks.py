"""What chat does when an incident changes, from any door (registered on incidents' `after_entry`
hook from the chat app's ready()). Inside the change's transaction, through the outbox:

- the incident's announcement is brought up to date when a fact it shows changed (declared,
  status, roles, title or severity);
- a status change, a role hand-over or a change of severity or title is told in the incident's
  own conversations, except the one it was said in from chat (`speaking_in`: the reply to the
  command already says it there).

Opening, archiving and unarchiving the incident's conversation are conversations.py's.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import transaction

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import PENDING_CONVERSATION, IncidentConversation
from incidentdesk.chat.outbound import announce, say
from incidentdesk.incidents.models import EntryKind

ANNOUNCED_FIELDS = {"title", "severity"}
_ANNOUNCED = "_chat_announced"  # set on the incident once its announcement is queued
# The conversation a chat command is being acted on for: (platform, conversation).
_speaking_in: ContextVar[tuple[str, str] | None] = ContextVar("chat_speaking_in", default=None)


@contextmanager
def speaking_in(platform: str, conversation: str) -> Iterator[None]:
    """While a command said in `conversation` runs, its changes are not told there again."""
    token = _speaking_in.set((platform, conversation))
    try:
        yield
    finally:
        _speaking_in.reset(token)


def _announced_change(entry) -> bool:
    if entry.kind in (EntryKind.STATUS_CHANGE, EntryKind.ROLE_CHANGE):
        return True
    if entry.kind == EntryKind.EVENT:
        return (entry.data or {}).get("event") == "declared"
    if entry.kind == EntryKind.FIELD_CHANGE:
        return bool(ANNOUNCED_FIELDS & set((entry.data or {}).get("changes") or {}))
    return False


def _told_in_conversation(entry) -> bool:
    if entry.kind == EntryKind.STATUS_CHANGE:
        return True
    if entry.kind == EntryKind.ROLE_CHANGE:
        return "role" in (entry.data or {})
    if entry.kind == EntryKind.FIELD_CHANGE:
        return bool(ANNOUNCED_FIELDS & set((entry.data or {}).get("changes") or {}))
    return False


def on_entry(entry) -> None:
    if not platforms.platform_kinds():
        return
    incident = entry.incident
    if _announced_change(entry) and not getattr(incident, _ANNOUNCED, False):
        # One announcement update per transaction: it is worded when sent, from the incident
        # as the whole transaction left it.
        setattr(incident, _ANNOUNCED, True)
        transaction.on_commit(lambda: incident.__dict__.pop(_ANNOUNCED, None))
        announce(incident)
    if _told_in_conversation(entry):
        who = entry.author.display_name if entry.author_id else "IncidentDesk"
        opened = IncidentConversation.objects.filter(
            incident_id=entry.incident_id, archived_at__isnull=True
        ).exclude(conversation__startswith=PENDING_CONVERSATION)  # a channel still being created
        here = _speaking_in.get()
        for link in opened:
            if (link.platform, link.conversation) != here:
                say(
                    platform=link.platform,
                    conversation=link.conversation,
                    text=f"{who}: {entry.body}",
                )

"""Chat work that follows an incident's change, queued after its commit (see conversations.py):
`on_entry`, on incidents' `after_entry` hook, reads each timeline entry and queues

- the opening of the incident's conversations when it is declared at a severity whose policy
  says so (as the declarer, by the system);
- the invitations of the people it is opened for when the incident's chat link becomes a new
  conversation's (the field change `conversation_open` records), and of someone given the lead,
  the scribe or an assignee's role while it is open;
- archiving when the incident is closed (`closed`, `closed_blocked`), unarchiving when it is
  taken up again.

Each task retries (with a delay) when the platform rate-limits us or cannot be reached; a
refusal it will not change its mind about (`is_archived`, `channel_not_found`, a platform no
longer configured, an opener no longer allowed) is logged as a warning for admins, naming the
incident and the conversation, and not retried.
"""

import logging
from collections.abc import Callable

from huey.contrib.djhuey import db_task

from incidentdesk.accounts.models import User
from incidentdesk.chat import conversations
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import ChatFailure, IncidentConversation
from incidentdesk.chat.platforms.base import ChatError, RateLimited
from incidentdesk.chat.queue import after_commit
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import EntryKind, Incident

logger = logging.getLogger(__name__)

RETRIES = 8
RETRY_DELAY = 30  # seconds; Slack's Retry-After is usually shorter than this


def _refusals_logged(
    what: str, work: Callable[[], object], *, platform: str, incident_id: int | None
) -> None:
    """Run `work`; a refusal is logged and kept for the chat admin page (`ChatFailure`), a
    rate limit or a lost connection raised (retried)."""
    try:
        work()
    except RateLimited:
        raise
    except ChatError as exc:
        logger.warning("chat: %s was refused: %s (%s)", what, exc.code, exc.message)
        _keep(platform, incident_id, what, exc.code, exc.message)
    except IncidentDeskError as exc:
        logger.warning("chat: %s was not done: %s", what, exc.detail)
        _keep(platform, incident_id, what, "", exc.detail)


def _keep(platform: str, incident_id: int | None, what: str, code: str, message: str) -> None:
    ChatFailure.objects.create(
        platform=platform,
        incident_id=incident_id,
        what=what[:300],
        code=code[:255],
        message=message if message != code else "",
    )


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def open_on_declare(incident_id: int, platform: str, opener_id: int | None) -> None:
    """Open the conversation of an incident declared at a severity whose policy says so, as
    the person who declared it, by the system."""
    incident = Incident.objects.select_related("severity").filter(pk=incident_id).first()
    opener = User.objects.filter(pk=opener_id, is_active=True).first() if opener_id else None
    if incident is None or opener is None:
        return
    _refusals_logged(
        f"opening {incident.reference}'s {platform} channel",
        lambda: conversations.conversation_open(
            actor=opener, source=ActionSource.SYSTEM, incident=incident, platform=platform
        ),
        platform=platform,
        incident_id=incident.pk,
    )


def _link(link_id: int) -> IncidentConversation | None:
    return IncidentConversation.objects.select_related("incident").filter(pk=link_id).first()


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def invite_people(link_id: int, user_ids: list[int]) -> None:
    """Invite those of `user_ids` who have a chat identity on the conversation's platform."""
    link = _link(link_id)
    if link is None or link.archived_at is not None:
        return
    _refusals_logged(
        f"inviting people to {link.incident.reference}'s {link.platform} channel {link.name}",
        lambda: conversations.conversation_invite(link=link, users=user_ids),
        platform=link.platform,
        incident_id=link.incident_id,
    )


class StillSaying(Exception):
    """Messages to the conversation are still on their way: archive it a little later."""


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
def archive(link_id: int, task=None) -> None:
    """Archive the conversation of a closed incident (once: an archived one is left), after
    what is still being said in it has been delivered (on the last try, regardless)."""
    link = _link(link_id)
    if link is None or link.archived_at is not None:
        return
    last_try = task is None or not task.retries
    if not last_try and conversations.still_being_said(link):
        raise StillSaying(link.conversation)
    _refusals_logged(
        f"archiving {link.incident.reference}'s {link.platform} channel {link.name}",
        lambda: conversations.conversation_archive(link=link),
        platform=link.platform,
        incident_id=link.incident_id,
    )


@db_task(retries=RETRIES, retry_delay=RETRY_DELAY)
def unarchive(link_id: int, reopener_id: int | None = None) -> None:
    """Unarchive the conversation of a re-opened incident (or, when the platform will not,
    open a new one as the person who re-opened it)."""
    link = _link(link_id)
    if link is None or link.archived_at is None:
        return
    reopener = User.objects.filter(pk=reopener_id, is_active=True).first() if reopener_id else None
    _refusals_logged(
        f"unarchiving {link.incident.reference}'s {link.platform} channel {link.name}",
        lambda: conversations.conversation_unarchive(link=link, reopener=reopener),
        platform=link.platform,
        incident_id=link.incident_id,
    )


# What follows an incident's change ---------------------------------------------------------


def on_entry(entry) -> None:
    """Queue, after commit, what the entry asks of the incident's conversations."""
    if not platforms.platform_kinds():
        return
    data = entry.data or {}
    incident = entry.incident
    if entry.kind == EntryKind.EVENT and data.get("event") == "declared":
        if incident.severity.opens_chat_channel and incident.is_open:
            for kind in platforms.platform_kinds():
                after_commit(open_on_declare, incident.pk, kind, entry.author_id)
    elif entry.kind == EntryKind.STATUS_CHANGE:
        _follow_status(incident, data.get("from"), data.get("to"), entry.author_id)
    elif entry.kind == EntryKind.FIELD_CHANGE and "chat_url" in (data.get("changes") or {}):
        _invite_to_new(incident, entry.author_id)
    elif entry.kind == EntryKind.ROLE_CHANGE and data.get("role") in conversations.INVITED_ROLES:
        user = User.objects.filter(username=data.get("to") or "").first()
        if user is not None:
            for link in conversations.live_links_of(incident):
                after_commit(invite_people, link.pk, [user.pk])


def _follow_status(
    incident: Incident, was: str | None, to: str | None, author_id: int | None
) -> None:
    closed = conversations.CLOSED
    if to in closed and was not in closed:
        for link in conversations.live_links_of(incident):
            after_commit(archive, link.pk)
    elif was in closed and to not in closed:
        for link in conversations.links_of(incident).filter(archived_at__isnull=False):
            after_commit(unarchive, link.pk, author_id)


def _invite_to_new(incident: Incident, opener_id: int | None) -> None:
    """The chat link now names a conversation just opened: invite its people into it."""
    for link in conversations.live_links_of(incident):
        if platforms.platform(link.platform).link(link.conversation) == incident.chat_url:
            people = conversations.people_of(incident, also=opener_id)
            after_commit(invite_people, link.pk, people)


def register() -> None:
    """The incident's conversations: the doors (conversations.register) and the hook."""
    conversations.register()
    hooks.after_entry.register(on_entry)

"""The incident's own conversation on each platform (a Slack channel, a Matrix room): opened on
request (the announcement's button, the `channel` command) or when the incident is declared at
a severity whose policy says so, joined by the people who hold its roles (invited by
the tasks that follow the chat link's change, see conversation_tasks.py), archived when the
incident closes and opened again when it re-opens.

Platform calls are never made inside a write's transaction: the button and the command run
them in the worker or request that asked, outside any transaction; what follows an incident's
change (declared, closed, re-opened, a role given) is queued from the `after_entry` hook with
`transaction.on_commit` to the tasks of `conversation_tasks.py`, which retry when the platform
rate-limits us or cannot be reached, and log a refusal (`is_archived`, `channel_not_found`)
for admins instead of retrying it.
"""

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.chat import handling
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.channel import KIND as CHAT
from incidentdesk.chat.models import PENDING_CONVERSATION, ChatIdentity, IncidentConversation
from incidentdesk.chat.outbound import OPEN_CHANNEL, SAY_TOPIC, announce, incident_url, say
from incidentdesk.chat.platforms.base import ChatError, InboundEvent, Message, RateLimited
from incidentdesk.core.errors import InvalidTransition, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import live, selectors
from incidentdesk.incidents.commands import CommandCall, CommandResult, CommandSpec
from incidentdesk.incidents.commands import register as register_command
from incidentdesk.incidents.models import Incident, IncidentRole, IncidentStatus
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.incidents import incident_update
from incidentdesk.notifications.models import Delivery, DeliveryStatus, OutboxEvent

logger = logging.getLogger(__name__)

# The people a conversation is opened for, and who are invited when they are given the role.
INVITED_ROLES = (IncidentRole.LEAD, IncidentRole.SCRIBE, IncidentRole.ASSIGNEE)
CLOSED = (IncidentStatus.CLOSED, IncidentStatus.CLOSED_BLOCKED)
# A row whose conversation is being created holds this (and the incident's id) instead of the
# platform's id, so a second press finds it and does not create a second channel.
PENDING = PENDING_CONVERSATION
# A claim older than this was lost with its worker: another may open the conversation.
CLAIM_TIMEOUT = timedelta(minutes=2)


@dataclass(frozen=True)
class Opened:
    conversation: IncidentConversation
    url: str  # the platform's link to it, which is the incident's chat link
    created: bool  # False: it existed already


def conversation_open(*, actor, source: ActionSource, incident: Incident, platform: str) -> Opened:
    """Open the incident's conversation on `platform`, or answer with the one it has (never a
    second one). Named from the reference and title, with the incident's page as its topic;
    private when the incident is restricted. It becomes the incident's chat link (a field
    change on the timeline, as `actor` through `source`), gets a first message saying what it
    is, the announcement is brought up to date, and the lead, scribe, assignees and `actor`
    who have a linked identity on the platform are invited (queued, after commit)."""
    require(actor, Perm.INCIDENT_UPDATE)
    if not can_see(actor, incident):
        raise NotFound("there is no such incident", field="incident")
    chat = platforms.platform(platform)
    existing = IncidentConversation.objects.filter(incident=incident, platform=platform).first()
    if existing is not None and not existing.conversation.startswith(PENDING):
        return Opened(existing, chat.link(existing.conversation), created=False)
    if incident.status in CLOSED:
        raise InvalidTransition(
            f"{incident.reference} is closed; it gets no new channel", field="status"
        )
    claim = _claim(incident, platform, existing)
    try:
        made = chat.create_conversation(
            f"{incident.reference} {incident.title}",
            topic=f"{incident.reference}: {incident.title} · {incident_url(incident)}",
            private=incident.restricted,
        )
    except BaseException:
        IncidentConversation.objects.filter(pk=claim.pk, conversation=claim.conversation).delete()
        raise
    url = chat.link(made.id)
    try:
        with transaction.atomic():
            claim.conversation, claim.name, claim.created_at = made.id, made.name, timezone.now()
            claim.save(update_fields=["conversation", "name", "created_at"])
            incident = incident_update(
                actor=actor, source=source, incident=incident, changes={"chat_url": url}
            )
            say(platform=platform, conversation=made.id, text=_welcome(incident))
            announce(incident)
    except BaseException:
        IncidentConversation.objects.filter(pk=claim.pk).delete()
        logger.warning("%s %s was created for %s but not recorded", platform, made.id, incident)
        raise
    return Opened(claim, url, created=True)


def _claim(
    incident: Incident, platform: str, existing: IncidentConversation | None
) -> IncidentConversation:
    """The row that says this worker is creating the conversation; a fresh claim by another
    is refused (the other will answer with the link)."""
    now = timezone.now()
    busy = InvalidTransition(
        f"{incident.reference}'s channel is being opened; try again in a moment", field="incident"
    )
    if existing is not None:
        if not IncidentConversation.objects.filter(
            pk=existing.pk, created_at__lt=now - CLAIM_TIMEOUT
        ).update(created_at=now):
            raise busy
        existing.created_at = now
        return existing
    try:
        with transaction.atomic():
            return IncidentConversation.objects.create(
                incident=incident,
                platform=platform,
                conversation=f"{PENDING}{incident.pk}",
                created_at=now,
            )
    except IntegrityError:
        raise busy from None


def _welcome(incident: Incident) -> str:
    return (
        f"This is the channel of {incident.reference}: {incident.title}.\n"
        "What is said here is kept with the incident; pin a message to put it on the timeline. "
        "Mention me with a command to run it here (mention me with `help` for the list).\n"
        f"{incident_url(incident)}"
    )


def people_of(incident: Incident, *, also: int | None = None) -> list[int]:
    """The ids of the accounts a new conversation is opened for: the holders of the invited
    roles, and `also` (who opened it)."""
    holders = selectors.current_role_holders(incident)
    people = [user.pk for role in INVITED_ROLES for user in holders.get(role, [])]
    if also is not None:
        people.append(also)
    return list(dict.fromkeys(people))


def conversation_invite(*, link: IncidentConversation, users: Iterable[int]) -> list[str]:
    """Invite the accounts `users` who have an identity linked on the conversation's platform
    (the others are left out: the platform does not know them); the platform ids invited.
    A platform refusal is raised as the platform's error."""
    invited = list(
        ChatIdentity.objects.filter(
            platform=link.platform, user_id__in=list(users), user__is_active=True
        )
        .order_by("pk")
        .values_list("external_id", flat=True)
    )
    if invited:
        platforms.platform(link.platform).invite(link.conversation, invited)
    return invited


def still_being_said(link: IncidentConversation) -> bool:
    """Whether messages to the conversation are still on their way through the outbox (the
    notice of the close itself, say): archiving first would have the platform refuse them."""
    address = platforms.address(link.platform, link.conversation)
    return (
        OutboxEvent.objects.filter(
            fanned_out_at__isnull=True, topic=SAY_TOPIC, payload__to=address
        ).exists()
        or Delivery.objects.filter(
            channel=CHAT,
            recipient=address,
            status__in=(DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        ).exists()
    )


def conversation_archive(*, link: IncidentConversation) -> None:
    """Close the conversation with its incident: a last message, then the platform archives it
    (Matrix: read-only), and its transcript is closed. Follows the incident's close, which was
    the permitted write; nothing more is checked."""
    chat = platforms.platform(link.platform)
    incident = link.incident
    chat.post(
        link.conversation,
        Message(
            f"{incident.reference} is closed, so this channel is archived now. "
            f"Its transcript is kept on the incident: {incident_url(incident)}"
        ),
        key=f"archive-{link.pk}-{int(timezone.now().timestamp())}",
    )
    chat.archive_conversation(link.conversation)
    now = timezone.now()
    with transaction.atomic():
        IncidentConversation.objects.filter(pk=link.pk).update(
            archived_at=now, transcript_closed_at=now
        )
        live.changed(link.incident_id)  # its transcript panel says so (update() sends no signal)


# A platform's answers when it will not unarchive a conversation (Slack refuses a bot that
# was taken out of the channel when it was archived): a new conversation is opened instead.
UNARCHIVE_REFUSALS = {"not_in_channel", "channel_not_found", "is_archived", "M_FORBIDDEN"}


def conversation_unarchive(*, link: IncidentConversation, reopener=None) -> None:
    """Open the conversation again with its re-opened incident (its transcript goes on). When
    the platform will not unarchive it, and the person who re-opened the incident is known, a
    new conversation takes its place (see `_reopen_elsewhere`)."""
    chat = platforms.platform(link.platform)
    try:
        chat.unarchive_conversation(link.conversation)
    except RateLimited:
        raise
    except ChatError as exc:
        if reopener is None or exc.code not in UNARCHIVE_REFUSALS:
            raise
        _reopen_elsewhere(link, chat, reopener, refused=exc.code)
        return
    with transaction.atomic():
        IncidentConversation.objects.filter(pk=link.pk).update(
            archived_at=None, transcript_closed_at=None
        )
        live.changed(link.incident_id)
    say(
        platform=link.platform,
        conversation=link.conversation,
        text=f"{link.incident.reference} was re-opened, and so is this channel.",
    )


def _reopen_elsewhere(link: IncidentConversation, chat, reopener, *, refused: str) -> None:
    """The old conversation stays archived: a new one, named and set up as on opening, becomes
    the incident's conversation on that platform (the transcript goes on in the same record)
    and its chat link, as a change by the person who re-opened the incident."""
    incident = Incident.objects.select_related("severity").get(pk=link.incident_id)
    made = chat.create_conversation(
        f"{incident.reference} {incident.title}",
        topic=f"{incident.reference}: {incident.title} · {incident_url(incident)}",
        private=incident.restricted,
    )
    url = chat.link(made.id)
    logger.warning(
        "%s would not unarchive %s for re-opened %s (%s); opened %s instead",
        link.platform,
        link.conversation,
        incident.reference,
        refused,
        made.id,
    )
    with transaction.atomic():
        IncidentConversation.objects.filter(pk=link.pk).update(
            conversation=made.id, name=made.name, archived_at=None, transcript_closed_at=None
        )
        incident_update(
            actor=reopener,
            source=ActionSource.SYSTEM,
            incident=incident,
            changes={"chat_url": url},
        )
        say(
            platform=link.platform,
            conversation=made.id,
            text=(
                f"{incident.reference} was re-opened; its old channel could not be unarchived, "
                "so the response goes on here.\n" + _welcome(incident)
            ),
        )


def conversation_rename(
    *, actor, source: ActionSource, link: IncidentConversation, name: str
) -> IncidentConversation:
    """Rename the incident's conversation (within the platform's rules for names)."""
    require(actor, Perm.INCIDENT_UPDATE)
    if not can_see(actor, link.incident):
        raise NotFound("there is no such incident", field="incident")
    name = name.strip()
    if not name:
        raise ValidationError("give the new name", field="name")
    platforms.platform(link.platform).rename_conversation(link.conversation, name)
    link.name = name
    link.save(update_fields=["name"])
    return link


def conversation_renamed(*, platform: str, conversation: str, name: str) -> None:
    """Someone renamed the conversation on the platform: remember its new name."""
    IncidentConversation.objects.filter(platform=platform, conversation=conversation).update(
        name=name[:200]
    )


# Doors: the announcement's button, the `channel` command, the platform's rename ------------


def _open_channel_button(event: InboundEvent) -> None:
    """The announcement's "Open a channel": opened as the presser, answered with its link in
    the conversation the button was pressed in."""
    actor = handling.actor_of(event)
    incident = handling.incident_of_button(event, actor)
    opened = conversation_open(
        actor=actor, source=ActionSource.CHAT, incident=incident, platform=event.platform
    )
    verb = "Opened" if opened.created else "Already open:"
    handling.reply(event, f"{verb} {incident.reference}'s channel: {opened.url}")


def _renamed(event: InboundEvent) -> None:
    conversation_renamed(platform=event.platform, conversation=event.conversation, name=event.text)


def channel_command(call: CommandCall) -> CommandResult:
    """`channel`: open the incident's conversation on every configured platform (or name the
    ones it has)."""
    kinds = platforms.platform_kinds()
    if not kinds:
        raise ValidationError("no chat platform is set up on this install", field="text")
    lines = []
    for kind in kinds:
        try:
            opened = conversation_open(
                actor=call.actor, source=call.source, incident=call.incident, platform=kind
            )
        except ChatError as exc:
            raise ValidationError(f"{kind}: {handling.explain(exc)}", field="text") from None
        except OSError:
            raise ValidationError(
                f"{kind} cannot be reached right now; try again in a moment", field="text"
            ) from None
        verb = "Opened" if opened.created else "Already open"
        lines.append(f"{verb} on {kind}: {opened.url}")
    call.incident.refresh_from_db()
    return CommandResult("\n".join(lines), call.incident)


def links_of(incident: Incident):
    """The incident's conversations (not those still being created)."""
    return IncidentConversation.objects.filter(incident=incident).exclude(
        conversation__startswith=PENDING
    )


def live_links_of(incident: Incident):
    return links_of(incident).filter(archived_at__isnull=True)


def register() -> None:
    """Register the button, the command and the rename (conversation_tasks.register() calls
    this and adds the incident hook)."""
    handling.on_button(OPEN_CHANNEL, _open_channel_button)
    handling.on_kind("conversation_renamed", _renamed)
    register_command(CHANNEL)


CHANNEL = CommandSpec(
    "channel",
    "",
    False,
    "open the incident's chat channel",
    channel_command,
    Perm.INCIDENT_UPDATE,
    order=137,  # after `checkin`, before `statuspage`
)

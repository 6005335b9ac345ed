"""Acting on what came in from chat: one handler per kind of inbound event, run by a worker
after the request that received it was acknowledged (see tasks.handle_inbound).

The handlers of this module are the command language (`command`) and the plain declaration
(`declare` without a form: `!incident <title>`); other modules register theirs for the kinds
and buttons they own (`on_kind`, `on_button`), from the chat app's ready().

Every write goes through the same services as the web, with `source=chat`, acting as the
account the chat user is linked to (`actor_of`). A refusal (not linked, not allowed, bad input,
the platform's own error) is answered in the conversation (or privately) in a sentence, and
stored on the inbound record for admins; nothing is half-written.
"""

import logging
import re
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.chat import registry as platforms
from incidentdesk.chat import services
from incidentdesk.chat.incident_hooks import speaking_in
from incidentdesk.chat.models import InboundRecord, IncidentConversation
from incidentdesk.chat.outbound import TAKE_LEAD, say
from incidentdesk.chat.platforms.base import ChatError, InboundEvent
from incidentdesk.core.errors import (
    IncidentDeskError,
    NotAuthenticated,
    NotFound,
    ValidationError,
    as_sentence,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import selectors
from incidentdesk.incidents.commands import help_text, parse
from incidentdesk.incidents.models import Incident, IncidentRole, Severity
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.catalog import severity_lookup
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.incidents.services.incidents import incident_declare
from incidentdesk.incidents.services.roles import role_assign

logger = logging.getLogger(__name__)

# A worker that took an event this long ago without finishing it died with it.
CLAIM_TIMEOUT = timedelta(minutes=5)
# An event not taken this long after it arrived was never queued (the queue was down).
SWEEP_AFTER = timedelta(seconds=30)

Handler = Callable[[InboundEvent], None]
# A form's submission is answered in the request itself (Slack shows a refused field's error
# next to it, and only if told within three seconds): {field: message}, empty when accepted.
FormHandler = Callable[[InboundEvent], dict[str, str]]

_kinds: dict[str, Handler] = {}
_buttons: dict[str, Handler] = {}
_forms: dict[str, FormHandler] = {}

# A person named in a command, in the platforms' common form (`<@U0123>`, `<@U0123|ann>`).
MENTION = re.compile(r"<@([^>|\s]+)(?:\|[^>]*)?>")
REFERENCE = re.compile(r"^(INC-\d{4}-\d+)\b\s*", re.IGNORECASE)
SEVERITY_WORD = re.compile(r"^(?:sev(?:erity)?\s*[:=]?\s*)(\S+)\s+", re.IGNORECASE)
CHAT_CRITERIA_REASON = "Declared from chat; the criteria are to be confirmed."
INTERNAL_ERROR = (
    "Something went wrong on our side and nothing was changed; an admin can see it on "
    "IncidentDesk's chat page."
)


def on_kind(kind: str, handler: Handler) -> None:
    """Have `handler` act on every inbound event of `kind` (one handler per kind)."""
    if _kinds.get(kind, handler) is not handler:
        raise ValueError(f"chat events of kind {kind!r} already have a handler")
    _kinds[kind] = handler


def on_button(action: str, handler: Handler) -> None:
    """Have `handler` act on the button whose action is `action`."""
    if _buttons.get(action, handler) is not handler:
        raise ValueError(f"the chat button {action!r} already has a handler")
    _buttons[action] = handler


def on_form(form: str, handler: FormHandler) -> None:
    """Have `handler` take the submissions of the form `form` (the `_form` value a platform
    gives a `form_submit` event, e.g. Slack's callback id)."""
    if _forms.get(form, handler) is not handler:
        raise ValueError(f"the chat form {form!r} already has a handler")
    _forms[form] = handler


def submit_form(event: InboundEvent) -> dict[str, str]:
    """Take a submitted form now, in the request that brought it: {} when it was accepted,
    else what is wrong, by field ("" for the form as a whole)."""
    handler = _forms.get(str(event.values.get("_form") or ""))
    if handler is None:
        return {"": "This form is no longer in use; run the command again."}
    try:
        return handler(event)
    except IncidentDeskError as exc:  # shown next to its field, so the field is not named
        return {exc.field or "": as_sentence(exc.message) if exc.field else exc.sentence}
    except ChatError as exc:
        return {"": explain(exc)}


def claim(record_id: int) -> InboundRecord | None:
    """Take the stored event `record_id` to act on it: None when it is done, or another
    worker took it less than CLAIM_TIMEOUT ago (one that took it longer ago died with it)."""
    now = timezone.now()
    free = Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT)
    taken = InboundRecord.objects.filter(free, pk=record_id, processed_at__isnull=True).update(
        claimed_at=now
    )
    return InboundRecord.objects.filter(pk=record_id).first() if taken else None


def unhandled(*, older_than: timedelta = SWEEP_AFTER) -> list[int]:
    """Stored events nobody acted on: never queued (the queue was down), or taken by a worker
    that died. The sweep queues them again."""
    now = timezone.now()
    return list(
        InboundRecord.objects.filter(processed_at__isnull=True, received_at__lt=now - older_than)
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=now - CLAIM_TIMEOUT))
        .order_by("received_at")
        .values_list("pk", flat=True)[:500]
    )


def handle(record_id: int) -> None:
    """Act once on the stored inbound event `record_id` (a second call finds it done or taken)."""
    record = claim(record_id)
    if record is None:
        return
    event = record.event
    if event.kind == "button":
        handler = _buttons.get(str(event.values.get("action") or ""))
    else:
        handler = _kinds.get(event.kind)
    error = ""
    try:
        if handler is not None:
            handler(event)
    except IncidentDeskError as exc:
        error = exc.detail
        reply(event, exc.sentence)
    except ChatError as exc:
        error = f"{exc.code}: {exc.message}"
        reply(event, explain(exc))
    except Exception:
        logger.exception("chat event %s (%s) failed", record.pk, event.kind)
        error = "internal error (see the server log)"
        reply(event, INTERNAL_ERROR)
    services.inbound_done(record=record, error=error)


# What a platform's refusals mean to the person who asked.
_CHAT_ERRORS = {
    "not_in_channel": "I am not in that channel; invite me to it and try again.",
    "channel_not_found": "I cannot find that channel; it may be private or deleted.",
    "name_taken": "A channel with that name already exists.",
    "is_archived": "That channel is archived; unarchive it first.",
    "expired_trigger_id": "That took too long to open; run the command again.",
    "M_FORBIDDEN": "I am not allowed to do that in this room.",
}


def explain(exc: ChatError) -> str:
    return _CHAT_ERRORS.get(exc.code, f"The chat platform refused: {exc.message}.")


def reply(event: InboundEvent, text: str) -> None:
    """Answer `event` where it came from: its conversation, else the person privately."""
    where = event.conversation or event.actor
    if where and text:
        say(platform=event.platform, conversation=where, text=text)


# Who acts ---------------------------------------------------------------------------------


def actor_of(event: InboundEvent) -> User:
    """The account the event's chat user acts as; a user met for the first time is looked up
    on the platform (their verified email may link them)."""
    try:
        return services.actor_for(event.platform, event.actor)
    except NotAuthenticated:
        known = services.identity_exists(event.platform, event.actor)
        if known:
            raise
    try:
        chat_user = platforms.platform(event.platform).user(event.actor)
    except (ChatError, OSError):
        raise NotAuthenticated(services.NOT_LINKED) from None
    services.identity_for(event.platform, chat_user)
    return services.actor_for(event.platform, event.actor)


def people_in(event: InboundEvent, text: str) -> str:
    """`text` with every chat mention replaced by the username of the account it is linked
    to; a mention of someone not linked is refused, naming them."""

    def username(match: re.Match) -> str:
        user_id = match.group(1)
        try:
            return services.actor_for(event.platform, user_id).username
        except IncidentDeskError:
            pass
        try:
            chat_user = platforms.platform(event.platform).user(user_id)
            identity = services.identity_for(event.platform, chat_user)
        except (ChatError, OSError):
            identity = None
        if identity is not None and identity.user is not None and identity.user.is_active:
            return identity.user.username
        name = identity.name if identity is not None and identity.name else user_id
        raise ValidationError(
            f"{name} is not linked to an IncidentDesk account; name them by username or email",
            field="person",
        )

    return MENTION.sub(username, text)


# Commands ---------------------------------------------------------------------------------


def incident_of(event: InboundEvent, actor: User, text: str) -> tuple[Incident | None, str]:
    """The incident a command is about: named first (`INC-2026-0001 sev 2`), else the one
    whose conversation it was said in. The rest of the line is the command."""
    named = REFERENCE.match(text)
    if named:
        incident = selectors.visible_incident(named.group(1), viewer=actor)
        if incident is None:
            raise NotFound(f"there is no incident {named.group(1).upper()}", field="incident")
        return incident, text[named.end() :]
    link = (
        IncidentConversation.objects.select_related("incident__severity")
        .filter(platform=event.platform, conversation=event.conversation)
        .first()
    )
    if link is None:
        return None, text
    if not can_see(actor, link.incident):
        raise NotFound("there is no such incident", field="incident")
    return link.incident, text


def _command(event: InboundEvent) -> None:
    actor = actor_of(event)
    text = people_in(event, event.text.strip())
    incident, text = incident_of(event, actor, text)
    if incident is None:
        if parse(text).keyword == "help":
            reply(event, help_text())
            return
        reply(
            event,
            "This conversation is not an incident's. Say the command in the incident's "
            "channel, or name the incident first, e.g. `INC-2026-0001 sev 2`.",
        )
        return
    with speaking_in(event.platform, event.conversation):
        result = command_run(actor=actor, source=ActionSource.CHAT, incident=incident, text=text)
    lines = [result.reply, *(f"Note: {warning}" for warning in result.warnings)]
    reply(event, "\n".join(line for line in lines if line))


def declare_at_once(event: InboundEvent) -> None:
    """`!incident [sev <level>] <title>`: declared at once, live, as the speaker, at the named
    severity or else the least severe one; the criteria are left to be confirmed. (A
    platform with forms opens its declaration form instead; see declaring.py.)"""
    actor = actor_of(event)
    text = event.text.strip()
    severity_word = SEVERITY_WORD.match(text)
    if severity_word:
        severity = severity_lookup(severity_word.group(1))
        text = text[severity_word.end() :]
    else:
        least = Severity.objects.order_by("-position").first()
        if least is None:
            raise ValidationError("no severity levels are set up yet", field="severity")
        severity = least
    if not text.strip():
        raise ValidationError(
            "give a title: `!incident <title>` (optionally `!incident sev 2 <title>`)",
            field="title",
        )
    with transaction.atomic():
        incident = incident_declare(
            actor=actor,
            source=ActionSource.CHAT,
            title=text.strip(),
            severity=severity.key,
            criteria_reason=CHAT_CRITERIA_REASON,
        )
    reply(
        event,
        f"Declared {incident.reference}: {incident.title} (severity {incident.severity.name}). "
        "Change the severity with `sev <level>`; confirm the criteria on its page.",
    )


def incident_of_button(event: InboundEvent, actor: User) -> Incident:
    """The incident a button is about (its value is the incident's id), if the presser may
    see it."""
    try:
        incident_id = int(str(event.values.get("value") or ""))
    except ValueError:
        raise ValidationError("this button names no incident", field="value") from None
    incident = Incident.objects.select_related("severity").filter(pk=incident_id).first()
    if incident is None or not can_see(actor, incident):
        raise NotFound("that incident no longer exists", field="incident")
    return incident


def _take_lead(event: InboundEvent) -> None:
    """The announcement's "Take the lead" button: the presser becomes the lead."""
    actor = actor_of(event)
    incident = incident_of_button(event, actor)
    role_assign(
        actor=actor,
        source=ActionSource.CHAT,
        incident=incident,
        role=IncidentRole.LEAD,
        user=actor,
    )
    reply(event, f"{actor.display_name} leads {incident.reference} now.")


def register() -> None:
    on_kind("command", _command)
    # "declare" is declaring.py's: it opens the form where the platform has forms, else
    # calls declare_at_once.
    on_button(TAKE_LEAD, _take_lead)

"""What the chat layer says, always through the outbox (recorded with the change that caused
it, retried with backoff, failures shown to admins on the deliveries page).

- `say(platform, conversation, text)`: a message into a conversation (a command's reply, a
  notice of a change, a check-in reminder), worded when it is said.
- `announce(incident)`: the incident's headline in each platform's announcements conversation.
  It is worded when it is sent, from the incident as it is then, and the first delivery posts
  it while every later one updates that same message in place (`publish_announcement`).

Both topics are heard by one audience, the conversation named on the event (`to`).
"""

from dataclasses import asdict
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import Announcement
from incidentdesk.chat.platforms.base import (
    Button,
    ChatError,
    ChatPlatform,
    Message,
    PostedMessage,
)
from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import IncidentRole, IncidentStatus
from incidentdesk.notifications import registry
from incidentdesk.notifications.outbox import emit

SAY_TOPIC = "chat.say"
ANNOUNCE_TOPIC = "chat.announce"
TEXT_MAX = 3_000
# A first post claimed longer ago than this was lost with its worker: another may post it.
CLAIM_TIMEOUT = timedelta(minutes=2)

# Buttons under an announcement (their actions come back as `button` events).
OPEN_CHANNEL = "incident.open_channel"
TAKE_LEAD = "incident.take_lead"
OPEN_WEB = "incident.open_web"
# Handled by the on-call domain (it registers the button's action with chat.handling).
PAGE_ONCALL = "incident.page_oncall"


class ConversationAudience:
    """The one conversation named on the event (`to`: `<platform>:<conversation>`)."""

    name = "chat.conversation"

    def recipients(self, event):
        to = str(event.payload.get("to") or "")
        return [registry.Recipient("chat", to, to)] if to else []

    def standing(self, references):
        return {reference: registry.Standing() for reference in references}


def say(*, platform: str, conversation: str, text: str, buttons: tuple[Button, ...] = ()) -> None:
    """Post `text` (cut to what any platform takes) into `conversation` on `platform`, once the
    caller's transaction commits."""
    if len(text) > TEXT_MAX:
        text = text[: TEXT_MAX - 1] + "…"
    words: dict = {"text": text}
    if buttons:
        words["buttons"] = [asdict(button) for button in buttons]
    emit(
        topic=SAY_TOPIC,
        payload={"to": platforms.address(platform, conversation), "chat": words},
        to_subscribers=True,
    )


def announce(incident) -> None:
    """Have the incident's announcement brought up to date on every platform with an
    announcements conversation. A restricted incident is never announced there."""
    if incident.restricted:
        return
    for kind in platforms.platform_kinds():
        conversation = platforms.platform(kind).announcements
        if conversation:
            emit(
                topic=ANNOUNCE_TOPIC,
                payload={"to": platforms.address(kind, conversation), "incident_id": incident.pk},
                to_subscribers=True,
            )


def incident_url(incident) -> str:
    return f"{settings.BASE_URL}/incidents/{incident.reference}"


def announcement_words(data: dict) -> dict:
    """The announcement of the incident as it is now: reference, title, severity, status, lead
    and links, with the buttons. Worded at each send, so a late retry never shows an older
    state than an earlier delivery did."""
    incident = selectors.incident_for_announcement(int(data.get("incident_id") or 0))
    if incident is None:
        return {"text": "An incident was announced here and has since been removed."}
    holders = selectors.current_role_holders(incident)
    leads = holders.get(IncidentRole.LEAD) or []
    lead = ", ".join(person.display_name for person in leads) or "nobody yet"
    status = IncidentStatus(incident.status).label
    url = incident_url(incident)
    lines = [
        f"{incident.reference}: {incident.title}",
        f"Severity {incident.severity.name} · {status} · Lead: {lead}",
    ]
    conversations = list(incident.chat_conversations.filter(archived_at__isnull=True))
    if incident.chat_url:
        lines.append(f"Channel: {incident.chat_url}")
    lines.append(url)
    buttons = [Button(OPEN_WEB, "Open in IncidentDesk", url=url)]
    if incident.is_open:
        if not conversations:
            buttons.insert(
                0, Button(OPEN_CHANNEL, "Open a channel", str(incident.pk), primary=True)
            )
        if not leads:
            buttons.insert(len(buttons) - 1, Button(TAKE_LEAD, "Take the lead", str(incident.pk)))
        buttons.insert(len(buttons) - 1, Button(PAGE_ONCALL, "Page on-call", str(incident.pk)))
    return {
        "text": "\n".join(lines),
        "buttons": [asdict(button) for button in buttons],
        "announcement": incident.pk,
    }


def message_of(words: dict) -> Message:
    buttons = tuple(Button(**b) for b in words.get("buttons") or () if isinstance(b, dict))
    return Message(str(words.get("text") or ""), words.get("rich") or {}, buttons)


def publish_announcement(
    kind: str,
    platform: ChatPlatform,
    conversation: str,
    incident_id: int,
    message: Message,
    *,
    key: str,
) -> None:
    """Post the incident's announcement the first time, update it in place after. Only one
    worker posts the first time (it claims the row); another finding the post under way is
    refused with `announcement_pending` and retried once it is there."""
    now = timezone.now()
    row = Announcement.objects.filter(incident_id=incident_id, platform=kind).first()
    if row is not None and row.message:
        platform.update(_posted(row), message)
        Announcement.objects.filter(pk=row.pk).update(updated_at=now)
        return
    if row is None:
        try:
            with transaction.atomic():
                row = Announcement.objects.create(
                    incident_id=incident_id,
                    platform=kind,
                    conversation=conversation,
                    message="",
                    claimed_at=now,
                )
        except IntegrityError:
            raise ChatError("announcement_pending", "the announcement is being posted") from None
    elif not Announcement.objects.filter(
        pk=row.pk, message="", claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(claimed_at=now):
        raise ChatError("announcement_pending", "the announcement is being posted")
    try:
        posted = platform.post(conversation, message, key=key)
    except Exception:  # not posted: the next attempt claims it afresh
        Announcement.objects.filter(pk=row.pk, message="").delete()
        raise
    Announcement.objects.filter(pk=row.pk).update(
        conversation=posted.conversation, message=posted.id, posted_at=now, updated_at=now
    )


def _posted(row: Announcement) -> PostedMessage:
    return PostedMessage(row.conversation, row.message)


def register() -> None:
    registry.register_audience(ConversationAudience(), topics=[SAY_TOPIC, ANNOUNCE_TOPIC])
    registry.register_renderer(ANNOUNCE_TOPIC, "chat", announcement_words, when="send")

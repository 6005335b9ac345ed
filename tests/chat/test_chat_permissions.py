"""The permission matrix through the chat door: a chat user acts as the account linked to them,
with that account's role. A command their role allows changes the incident; one it does not, or
one from a chat user linked to no account (or to a deactivated one), is answered in words and
writes nothing."""

from datetime import UTC, datetime

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.chat.handling import handle
from incidentdesk.chat.models import ChatIdentity, IncidentConversation, LinkMethod
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.chat.services import inbound_record
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.incidents.services.lifecycle import incident_resolve

pytestmark = pytest.mark.django_db

ACTORS = ["unlinked", "deactivated", Role.VIEWER, Role.RESPONDER, Role.MANAGER, Role.ADMIN]
# command, the least role it needs, whether it acts on a resolved incident
COMMANDS = {
    "note": ("note the disk is full", Role.RESPONDER, False),
    "sev": ("sev trivial", Role.RESPONDER, False),
    "lead": ("lead me", Role.RESPONDER, False),
    "close": ("close", Role.MANAGER, True),
}
RANK = [Role.VIEWER, Role.RESPONDER, Role.MANAGER, Role.ADMIN]


def _chat_user(kind, make_user, standin):
    standin.add_user("UCHAT", name="chatter")
    if kind == "unlinked":
        return None
    user = make_user(Role.RESPONDER if kind == "deactivated" else kind, username="chatter")
    if kind == "deactivated":
        user.is_active = False
        user.save()
    ChatIdentity.objects.create(
        platform="slack", external_id="UCHAT", name="chatter", user=user, link=LinkMethod.ADMIN
    )
    return user


@pytest.mark.parametrize("actor_kind", ACTORS)
@pytest.mark.parametrize("command", COMMANDS)
def test_a_chat_command_is_allowed_by_the_linked_accounts_role_and_only_then_writes(
    command, actor_kind, configured, standin, declare, make_user
):
    text, least, on_resolved = COMMANDS[command]
    boss = make_user(Role.ADMIN, username="boss")
    incident = declare(actor=boss, severity="trivial" if on_resolved else "major")
    if on_resolved:
        incident = incident_resolve(actor=boss, source=ActionSource.WEB, incident=incident)
    user = _chat_user(actor_kind, make_user, standin)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    text = text.replace("me", "chatter") if command == "lead" else text
    before = set(TimelineEntry.objects.values_list("pk", flat=True))
    event = InboundEvent(
        platform="slack",
        dedup_key=f"Ev-{command}-{actor_kind}",
        kind="command",
        conversation=channel.id,
        actor="UCHAT",
        occurred_at=datetime.now(tz=UTC),
        text=text,
    )
    record, _ = inbound_record(event)
    handle(record.pk)
    record.refresh_from_db()
    written = TimelineEntry.objects.exclude(pk__in=before)
    allowed = user is not None and user.is_active and RANK.index(user.role) >= RANK.index(least)
    if allowed:
        assert record.error == "", record.error
        assert written.exists() and {e.source for e in written} == {"chat"}
    else:
        assert record.error, f"{command} by {actor_kind} was not refused"
        assert not written.exists(), f"{command} by {actor_kind} was refused but wrote"

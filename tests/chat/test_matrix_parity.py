"""The parity test through Matrix: every example command, said as `!<command>` in the incident's
room on a real Synapse and read by the sync worker, leaves the same timeline entry as the same
command through the CLI; only the source differs (chat)."""

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.chat.models import IncidentConversation
from incidentdesk.chat.platforms.base import ChatUser
from incidentdesk.chat.services import identity_for, identity_link
from incidentdesk.core.sources import ActionSource
from tests.chat import test_matrix_flows as flows
from tests.test_parity import COMMANDS, _shape, _via_cli

pytest_plugins = ["tests.chat.matrix_fixtures"]
pytestmark = pytest.mark.django_db(transaction=True)

bot, worker = flows.bot, flows.worker  # the fixtures: the bot's platform and its sync worker


@pytest.mark.parametrize("text", COMMANDS)
def test_a_command_said_in_a_matrix_room_leaves_the_same_entry_as_through_the_cli(
    text,
    bot,
    worker,
    synapse,
    make_user,
    declare,
    admin,
):
    actor = make_user(Role.MANAGER, username="alice")
    make_user(Role.RESPONDER, username="bob")
    identity = identity_for("matrix", ChatUser(synapse.alice.user_id, "alice"))
    identity_link(actor=admin, source=ActionSource.WEB, identity=identity, user=actor)
    shapes = {}
    for door in ("cli", "matrix"):
        incident = declare(actor=actor, title="Writes fail", severity="major")
        before = set(incident.timeline.values_list("pk", flat=True))
        if door == "cli":
            _via_cli(actor, incident.reference, text, None, None)
        else:
            room = flows.room_with(bot, synapse, synapse.alice, name=f"inc-{incident.number}")
            IncidentConversation.objects.create(
                incident=incident, platform="matrix", conversation=room
            )
            record = flows.handled(worker, flows.say(synapse, synapse.alice, room, f"!{text}"))
            assert record.error == "", record.error
        new = list(incident.timeline.exclude(pk__in=before).order_by("id"))
        assert new, f"{door} recorded nothing for {text!r}"
        assert {e.source for e in new} == ({"cli"} if door == "cli" else {"chat"})
        shapes[door] = [_shape(e) for e in new]
    assert shapes["cli"] == shapes["matrix"]

"""A domain adds a command by registering it: the parser, the help and every door take it
without a central list being edited."""

import pytest

from incidentdesk.accounts.permissions import Perm
from incidentdesk.core.errors import PermissionDenied
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.commands import (
    CommandCall,
    CommandResult,
    CommandSpec,
    help_text,
    parse,
    register,
    registry,
)
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from incidentdesk.incidents.services import command_run, timeline_entry_add

CHAT = ActionSource.CHAT


def _arrive(call: CommandCall) -> CommandResult:
    timeline_entry_add(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        kind=EntryKind.EVENT,
        body=f"Checked in: {call.argument}",
    )
    return CommandResult(f"{call.actor.display_name} checked in.", call.incident)


ARRIVE = CommandSpec(
    "arrive",
    "place",
    True,
    "say you are working on it, and from where",
    _arrive,
    Perm.TIMELINE_WRITE,
    aliases=("here",),
    order=135,
)


@pytest.fixture
def arrive():
    register(ARRIVE)
    yield ARRIVE
    registry.unregister("arrive")


def test_a_registered_command_is_parsed_by_keyword_and_alias_in_any_case(arrive):
    assert parse("ArRive at the office").keyword == "arrive"
    assert parse("HERE home").argument == "home"


def test_a_registered_command_takes_its_place_in_the_help(arrive):
    lines = help_text().splitlines()
    words = [line.split()[0] for line in lines[1:]]
    assert words.index("note") < words.index("arrive") < words.index("statuspage")
    assert "say you are working on it, and from where" in lines[words.index("arrive") + 1]


def test_a_registered_command_runs_its_handler(arrive, declare, responder):
    incident = declare(severity="major")
    result = command_run(actor=responder, source=CHAT, incident=incident, text="arrive home")
    assert result.reply == f"{responder.display_name} checked in."
    entry = TimelineEntry.objects.filter(incident=incident, kind="event").last()
    assert (entry.body, entry.source) == ("Checked in: home", "chat")


def test_a_registered_permission_is_checked_before_the_handler_runs(arrive, declare, viewer):
    incident = declare(severity="major")
    before = TimelineEntry.objects.count()
    with pytest.raises(PermissionDenied):
        command_run(actor=viewer, source=CHAT, incident=incident, text="arrive home")
    assert TimelineEntry.objects.count() == before


def test_a_removed_command_is_unknown_again():
    register(ARRIVE)
    registry.unregister("arrive")
    assert registry.find("arrive") is None and registry.find("here") is None
    assert "arrive" not in help_text()


@pytest.mark.parametrize("word", ["note", "commander", "?"])
def test_a_word_another_command_answers_to_cannot_be_registered_again(word):
    with pytest.raises(ValueError, match="is already the command"):
        register(CommandSpec(word, "", False, "clash", _arrive, None))


def test_the_statuspage_command_is_registered_by_the_status_page():
    spec = registry.find("statuspage")
    assert spec is not None and spec.handler.__module__ == "incidentdesk.statuspage.commands"


def test_the_command_box_lists_the_registered_commands_most_used_first(client, admin, incident):
    client.force_login(admin)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert (
        "Commands: note, decision, action, summary, impact, sev, status, lead, scribe, comms, "
        "assign, resolve, unblock, close, help." in page
    )


def test_a_command_registered_with_a_place_joins_the_command_box_list(client, admin, incident):
    spec = CommandSpec(
        "arrive", "", False, "say you are here", lambda call: None, None, order=175, hint=14
    )
    register(spec)
    try:
        client.force_login(admin)
        page = client.get(f"/incidents/{incident.reference}").content.decode()
    finally:
        registry.unregister("arrive")
    assert "resolve, unblock, arrive, close, help." in page

"""The command language run against an incident (incident page, API, CLI and chat)."""

import pytest

from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.commands import UnknownCommand, help_text
from incidentdesk.incidents.models import ActionItem, TimelineEntry
from incidentdesk.incidents.services import command_run, current_holders

CHAT = ActionSource.CHAT


@pytest.fixture
def incident(declare):
    return declare(severity="major")


@pytest.fixture
def run(incident, responder):
    def run(text, actor=None, on=None):
        return command_run(
            actor=actor or responder, source=CHAT, incident=on or incident, text=text
        )

    return run


def last_entry(incident, kind):
    return TimelineEntry.objects.filter(incident=incident, kind=kind).last()


def test_summary_replaces_the_summary(run, incident):
    result = run("summary Checkout times out for EU users")
    assert result.incident.summary == "Checkout times out for EU users"
    assert result.reply == "Summary updated."
    assert last_entry(incident, "field_change").source == "chat"


def test_impact_says_what_users_see(run):
    assert run("impact Orders cannot be placed").incident.impact == "Orders cannot be placed"


@pytest.mark.parametrize("level", ["critical", "Critical", "sev1", "SEV-1", "1", "p1"])
def test_sev_changes_the_severity_in_any_spelling(run, level):
    result = run(f"sev {level}")
    assert result.incident.severity.key == "critical"
    assert result.reply == "Severity is now Critical."


def test_sev_refuses_an_unknown_level(run):
    with pytest.raises(ValidationError) as caught:
        run("sev doom")
    assert caught.value.field == "severity"


def test_status_changes_the_status(run):
    result = run("status identified")
    assert result.incident.status == "identified"
    assert result.reply == "Status is now identified."


def test_status_takes_a_reason_after_the_status(run):
    result = run("status blocked waiting for the vendor")
    assert result.incident.status == "blocked"
    assert result.incident.status_reason == "waiting for the vendor"


@pytest.mark.parametrize(
    ("keyword", "role"), [("lead", "lead"), ("scribe", "scribe"), ("comms", "comms_lead")]
)
def test_single_roles_by_username(run, incident, make_user, keyword, role):
    lena = make_user(username="lena", first_name="Lena")
    result = run(f"{keyword} lena")
    assert current_holders(incident)[role] == [lena]
    assert result.reply.startswith("Lena is now ")


def test_people_can_be_named_by_email_or_at_handle(run, incident, make_user):
    lena = make_user(username="lena", email="Lena@Example.com")
    run("lead lena@example.com")
    assert current_holders(incident)["lead"] == [lena]
    otto = make_user(username="otto")
    run("lead @OTTO")
    assert current_holders(incident)["lead"] == [otto]


def test_an_unknown_person_is_refused(run):
    with pytest.raises(NotFound) as caught:
        run("lead ghost")
    assert caught.value.field == "person"


def test_assign_adds_assignees(run, incident, make_user):
    ann, bob = make_user(username="ann"), make_user(username="bob")
    run("assign ann")
    run("assign bob")
    assert set(current_holders(incident)["assignee"]) == {ann, bob}


def test_lead_and_scribe_together_give_a_warning(run, responder):
    assert run(f"lead {responder.username}").warnings == []
    result = run(f"scribe {responder.username}")
    assert len(result.warnings) == 1 and "both lead and scribe" in result.warnings[0]


def test_action_adds_an_action_item(run, incident):
    result = run("action Add a canary for checkout")
    assert ActionItem.objects.get(incident=incident).title == "Add a canary for checkout"
    assert result.reply == "Action item added: Add a canary for checkout"


def test_decision_is_recorded(run, incident):
    assert run("decision Roll back to 4.2").reply == "Decision recorded."
    assert last_entry(incident, "decision").body == "Roll back to 4.2"


def test_note_is_recorded(run, incident, responder):
    run("note Primary is back")
    entry = last_entry(incident, "note")
    assert (entry.body, entry.author, entry.source) == ("Primary is back", responder, "chat")


@pytest.mark.parametrize("text", ["NOTE hi", "Note hi", "nOtE hi"])
def test_keywords_are_case_insensitive(run, incident, text):
    run(text)
    assert last_entry(incident, "note").body == "hi"


def test_resolve_resolves_with_a_message(run, incident):
    result = run("resolve Rolled back; error rate normal")
    assert result.incident.status == "resolved"
    assert result.reply == f"{incident.reference} is resolved."
    assert "Rolled back; error rate normal" in last_entry(incident, "status_change").body


def test_close_closes_a_resolved_trivial_incident(declare, manager):
    incident = declare(severity="trivial")
    command_run(actor=manager, source=CHAT, incident=incident, text="resolve")
    result = command_run(actor=manager, source=CHAT, incident=incident, text="close duplicate")
    assert result.incident.status == "closed"
    assert result.incident.postmortem_waiver_reason == "duplicate"


def test_close_by_a_responder_is_refused(declare, responder):
    incident = declare(severity="trivial")
    command_run(actor=responder, source=CHAT, incident=incident, text="resolve")
    with pytest.raises(PermissionDenied):
        command_run(actor=responder, source=CHAT, incident=incident, text="close")


def test_help_lists_every_command(run):
    reply = run("help").reply
    assert reply == help_text()
    for keyword in (
        "summary",
        "impact",
        "sev",
        "status",
        "lead",
        "scribe",
        "comms",
        "assign",
        "action",
        "decision",
        "note",
        "resolve",
        "close",
        "help",
    ):
        assert f"  {keyword}" in reply


@pytest.mark.parametrize("text", ["dance now", "", "   ", "notes hi"])
def test_unknown_input_gets_the_help(run, incident, text):
    count = TimelineEntry.objects.count()
    with pytest.raises(UnknownCommand) as caught:
        run(text)
    assert caught.value.field == "text"
    assert help_text() in caught.value.message
    assert TimelineEntry.objects.count() == count


@pytest.mark.parametrize("keyword", ["summary", "sev", "lead", "note", "status"])
def test_a_command_missing_its_argument_shows_its_usage(run, keyword):
    with pytest.raises(ValidationError, match=f"usage: {keyword} <"):
        run(keyword)


def test_a_viewer_cannot_run_commands(run, viewer, incident):
    with pytest.raises(PermissionDenied):
        run("note hi", actor=viewer)
    assert last_entry(incident, "note") is None

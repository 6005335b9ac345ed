"""The command language's `disaster` command, run as every door runs it (incidents'
command_run): declaring, moves by the decision-maker, proposals, runbook steps and business as
usual, each through the recovery services."""

import pytest

from incidentdesk.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.commands import help_text
from incidentdesk.incidents.models import EntryKind, IncidentRole, RoleAssignment
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.recovery.models import Disaster, Proposal, ProposalStatus, StepState
from incidentdesk.recovery.systems import system_create

pytestmark = pytest.mark.django_db
CHAT = ActionSource.CHAT


def run(actor, incident, text):
    return command_run(actor=actor, source=CHAT, incident=incident, text=text)


def test_disaster_declares_the_systems_named_with_their_owner_deciding(
    incident, responder, billing, search, olga
):
    result = run(responder, incident, "disaster Billing, search")
    disaster = Disaster.objects.get(incident=incident)
    assert [a.system.name for a in disaster.systems.order_by("position")] == ["Billing", "Search"]
    assert not disaster.drill
    holder = RoleAssignment.objects.get(
        incident=incident, role=IncidentRole.DECISION_MAKER, ended_at__isnull=True
    )
    assert holder.user == olga
    assert result.reply == "A disaster is declared: Billing, Search. The decision-maker is olga."


def test_a_drill_with_a_named_decision_maker_and_a_name_with_spaces(
    incident, responder, admin, billing, sam
):
    system_create(
        actor=admin, source=CHAT, name="Payments API", owner=sam, rto_minutes=30, rpo_minutes=5
    )
    result = run(responder, incident, "DISASTER Payments API, Billing decision-maker @sam drill")
    disaster = Disaster.objects.get(incident=incident)
    assert disaster.drill
    assert [a.system.name for a in disaster.systems.all()] == ["Payments API", "Billing"]
    assert result.reply.startswith("A drill is declared") and result.reply.endswith("is sam.")


def test_the_decision_maker_moves_a_state_with_the_reason_on_the_timeline(disaster, affected, olga):
    incident = disaster.incident
    result = run(olga, incident, "disaster state billing read-only the database is being copied")
    affected.refresh_from_db()
    assert affected.state == "read_only"
    assert result.reply == "Billing: operational → read_only."
    change = affected.changes.get()
    assert (change.reason, change.decided_by) == ("the database is being copied", olga)
    entry = incident.timeline.filter(kind=EntryKind.DECISION).order_by("-pk").first()
    assert entry.data["to"] == "read_only" and entry.source == CHAT


def test_a_move_not_allowed_lists_the_allowed_ones(disaster, affected, olga):
    with pytest.raises(InvalidTransition) as refused:
        run(olga, disaster.incident, "disaster state Billing restored all good")
    assert refused.value.field == "state"
    assert "maintenance, read_only, offline" in refused.value.message
    affected.refresh_from_db()
    assert affected.state == "operational"


def test_someone_else_is_refused_and_may_propose_then_the_decision_maker_accepts(
    disaster, affected, responder, olga
):
    incident = disaster.incident
    with pytest.raises(PermissionDenied):
        run(responder, incident, "disaster state Billing offline disk corrupted")
    assert not affected.changes.exists() and not Proposal.objects.exists()

    result = run(responder, incident, "disaster propose Billing offline disk corrupted")
    proposal = Proposal.objects.get()
    assert (proposal.to_state, proposal.reason, proposal.proposed_by) == (
        "offline",
        "disk corrupted",
        responder,
    )
    assert result.reply.startswith(f"Proposal {proposal.pk}: Billing operational → offline")

    with pytest.raises(PermissionDenied):
        run(responder, incident, f"disaster accept {proposal.pk}")
    result = run(olga, incident, f"disaster accept #{proposal.pk}")
    affected.refresh_from_db()
    proposal.refresh_from_db()
    assert (affected.state, proposal.status) == ("offline", ProposalStatus.ACCEPTED)
    assert affected.changes.get().proposal == proposal
    assert result.reply == f"Proposal {proposal.pk} is accepted. Billing: operational → offline."


def test_declining_a_proposal_needs_a_note(disaster, affected, responder, olga):
    incident = disaster.incident
    run(responder, incident, "disaster propose Billing maintenance to be safe")
    proposal = Proposal.objects.get()
    with pytest.raises(ValidationError) as refused:
        run(olga, incident, f"disaster decline {proposal.pk}")
    assert refused.value.field == "note"
    result = run(olga, incident, f"disaster decline {proposal.pk} not needed, reads still work")
    proposal.refresh_from_db()
    assert (proposal.status, proposal.decision_note) == (
        ProposalStatus.DECLINED,
        "not needed, reads still work",
    )
    assert result.reply == f"Proposal {proposal.pk} is declined."
    with pytest.raises(NotFound):
        run(olga, incident, "disaster accept 99999")


def test_a_step_is_done_with_its_evidence(disaster, affected, responder):
    result = run(responder, disaster.incident, "disaster step 2 done restored from the 03:00 dump")
    step = affected.steps.get(position=2)
    assert (step.state, step.evidence, step.finished_by) == (
        StepState.DONE,
        "restored from the 03:00 dump",
        responder,
    )
    assert result.reply == f"Billing, step 2 ({step.title}): done."
    with pytest.raises(ValidationError) as refused:
        run(responder, disaster.incident, "disaster step 3 done")
    assert refused.value.field == "evidence"
    with pytest.raises(NotFound):
        run(responder, disaster.incident, "disaster step 42 done it is")


def test_with_several_systems_a_step_names_its_system(incident, responder, olga, billing, search):
    run(responder, incident, "disaster Billing, Search")
    with pytest.raises(ValidationError) as refused:
        run(responder, incident, "disaster step 1 running")
    assert "Billing, Search" in refused.value.message
    run(responder, incident, "disaster step search 1 running")
    disaster = Disaster.objects.get(incident=incident)
    states = {a.system.name: a.steps.get(position=1).state for a in disaster.systems.all()}
    assert states == {"Billing": StepState.PENDING, "Search": StepState.RUNNING}


def test_resuming_before_the_postmortem_is_published_is_refused(disaster, olga):
    with pytest.raises(InvalidTransition) as refused:
        run(olga, disaster.incident, "disaster resume back to the sprint")
    assert refused.value.field == "postmortem"
    disaster.refresh_from_db()
    assert disaster.resumed_at is None


def test_a_sub_command_on_an_incident_that_is_no_disaster_says_so(incident, responder, billing):
    with pytest.raises(NotFound) as refused:
        run(responder, incident, "disaster state Billing offline down")
    assert "is not a disaster" in refused.value.message
    with pytest.raises(ValidationError) as refused:
        run(responder, incident, "disaster")
    assert refused.value.field == "text"
    assert not Disaster.objects.exists()


def test_the_help_lists_the_disaster_command():
    assert "disaster systems | sub-command" in help_text()


def test_who_was_consulted_and_the_evidence_follow_the_reason(disaster, affected, olga):
    text = (
        "disaster state Billing offline disk corrupted | consulted: Ada, Bob "
        "| evidence: fsck log 12"
    )
    run(olga, disaster.incident, text)
    change = affected.changes.get()
    assert (change.reason, change.consulted, change.evidence) == (
        "disk corrupted",
        ["Ada", "Bob"],
        "fsck log 12",
    )
    with pytest.raises(ValidationError) as refused:
        run(olga, disaster.incident, "disaster state Billing restoring ok | because: yes")
    assert refused.value.field == "text"
    assert affected.changes.count() == 1

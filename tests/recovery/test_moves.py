"""Moving a system's state: the decision-maker's alone, allowed moves only, with the words it
rests on, the verification gate before `restored`, and one move at a time."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from incidentdesk.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from incidentdesk.recovery.models import (
    AffectedSystem,
    Proposal,
    ProposalStatus,
    RunbookStep,
    StateChange,
    StepKind,
    StepState,
    SystemState,
)
from incidentdesk.recovery.services import disaster_declare, proposal_create, state_move
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db

S = SystemState


def move(affected, state, actor, **words):
    words.setdefault("reason", f"Going to {state}")
    return state_move(actor=actor, source=WEB, affected=affected, state=state, **words)


def walk(affected, actor, *states):
    for state in states:
        move(affected, state, actor)
    affected.refresh_from_db()
    return affected


def verification(affected, *, done: bool):
    """The runbook of `affected` made two steps: a recovery one, and a verification one done
    with evidence or still to do."""
    RunbookStep.objects.filter(affected=affected).delete()
    RunbookStep.objects.create(affected=affected, position=1, title="Restore the data")
    return RunbookStep.objects.create(
        affected=affected,
        position=2,
        title="Run the smoke tests",
        kind=StepKind.VERIFICATION,
        state=StepState.DONE if done else StepState.PENDING,
        evidence="42 passed" if done else "",
    )


def test_the_decision_maker_moves_a_system_saying_why_who_was_consulted_and_on_what(
    affected, olga, incident
):
    change = move(
        affected,
        "read_only",
        olga,
        reason="Writes corrupt invoices.",
        consulted=["Ada", "Bob"],
        evidence="https://logs.example.com/q/1",
    )
    affected.refresh_from_db()
    assert affected.state == S.READ_ONLY
    assert (change.from_state, change.to_state, change.decided_by) == (
        S.OPERATIONAL,
        S.READ_ONLY,
        olga,
    )
    assert change.consulted == ["Ada", "Bob"]
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.body == (
        "Billing: Operational → Read-only. Writes corrupt invoices. Consulted: Ada, Bob. "
        "Evidence: https://logs.example.com/q/1"
    )
    assert entry.data == {
        "disaster": affected.disaster_id,
        "system": "Billing",
        "from": "operational",
        "to": "read_only",
        "consulted": ["Ada", "Bob"],
        "evidence": "https://logs.example.com/q/1",
        "override": "",
        "proposal": None,
    }
    assert entry.author == olga


def test_a_move_the_rules_do_not_allow_is_refused_listing_the_allowed_ones(
    affected, olga, recovery_state
):
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        move(affected, "restored", olga)
    assert refused.value.field == "state"
    assert "maintenance, read_only, offline" in refused.value.message
    assert recovery_state() == before


def test_anyone_else_is_refused_naming_the_decision_maker(affected, responder, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied) as refused:
        move(affected, "read_only", responder)
    assert "only the decision-maker, Olga, moves" in refused.value.message
    assert "propose" in refused.value.message
    assert recovery_state() == before


def test_anyone_else_asking_to_propose_gets_a_proposal_and_no_move(affected, responder):
    made = move(affected, "offline", responder, reason="Data leaks", propose=True)
    assert isinstance(made, Proposal)
    assert (made.to_state, made.status, made.proposed_by) == ("offline", "open", responder)
    affected.refresh_from_db()
    assert affected.state == S.OPERATIONAL
    assert not StateChange.objects.exists()


def test_an_admin_who_is_not_the_decision_maker_cannot_move_either(affected, admin):
    with pytest.raises(PermissionDenied):
        move(affected, "read_only", admin)


def test_someone_who_cannot_see_the_restricted_incident_is_told_there_is_none(
    declare, responder, make_user, billing
):
    secret = declare(security=True)
    disaster = disaster_declare(actor=responder, source=WEB, incident=secret, systems=["Billing"])
    outsider = make_user(username="outsider")
    with pytest.raises(NotFound):
        move(disaster.systems.get(), "read_only", outsider, propose=True)


@pytest.mark.parametrize(
    "words, field",
    [
        ({"state": "broken"}, "state"),
        ({"state": None}, "state"),
        ({"reason": ""}, "reason"),
        ({"reason": "   "}, "reason"),
        ({"reason": "r" * 2001}, "reason"),
        ({"consulted": "Ada, Bob"}, "consulted"),
        ({"consulted": [""]}, "consulted"),
        ({"consulted": ["x" * 101]}, "consulted"),
        ({"consulted": [f"p{n}" for n in range(21)]}, "consulted"),
        ({"consulted": [3]}, "consulted"),
        ({"evidence": "bad\x00"}, "evidence"),
        ({"last_recovery_point_at": "today"}, "last_recovery_point_at"),
        (
            {"last_recovery_point_at": timezone.now() + timedelta(hours=2)},
            "last_recovery_point_at",
        ),
        ({"override_reason": "o" * 2001}, "override_reason"),
    ],
)
def test_bad_words_are_refused_naming_the_field_and_write_nothing(
    affected, olga, recovery_state, words, field
):
    words = {"state": "read_only", "reason": "why"} | words
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        state_move(actor=olga, source=WEB, affected=affected, **words)
    assert refused.value.field == field
    assert recovery_state() == before


def test_the_recovery_point_is_kept(affected, olga):
    point = timezone.now() - timedelta(minutes=20)
    move(affected, "offline", olga, last_recovery_point_at=point)
    affected.refresh_from_db()
    assert affected.last_recovery_point_at == point


def test_restored_waits_for_the_verification_done_with_evidence(affected, olga, recovery_state):
    walk(affected, olga, "offline", "restoring", "verifying")
    verification(affected, done=False)
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        move(affected, "restored", olga)
    assert refused.value.field == "state"
    assert "step 2 (Run the smoke tests)" in refused.value.message
    assert recovery_state() == before


def test_a_verification_step_done_without_evidence_does_not_open_the_gate(affected, olga):
    walk(affected, olga, "offline", "restoring", "verifying")
    step = verification(affected, done=True)
    RunbookStep.objects.filter(pk=step.pk).update(evidence="")
    with pytest.raises(InvalidTransition):
        move(affected, "restored", olga)


def test_with_the_verification_done_the_system_is_restored(affected, olga):
    walk(affected, olga, "offline", "restoring", "verifying")
    verification(affected, done=True)
    move(affected, "restored", olga)
    affected.refresh_from_db()
    assert affected.state == S.RESTORED
    assert timezone.now() - affected.restored_at < timedelta(minutes=1)
    assert affected.gate_override_reason == ""


def test_the_decision_maker_overrides_the_gate_with_a_written_reason(affected, olga, incident):
    walk(affected, olga, "offline", "restoring", "verifying")
    verification(affected, done=False)
    move(affected, "restored", olga, override_reason="The test bench burned down with the DC.")
    affected.refresh_from_db()
    assert affected.state == S.RESTORED
    assert affected.gate_override_reason == "The test bench burned down with the DC."
    assert affected.gate_override_by == olga
    assert affected.gate_override_at is not None
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert "Verification gate overridden: The test bench burned down" in entry.body
    assert entry.data["override"] == "The test bench burned down with the DC."


def test_falling_back_from_restored_clears_the_restore(affected, olga):
    walk(affected, olga, "offline", "restoring", "verifying")
    verification(affected, done=True)
    walk(affected, olga, "restored", "restoring")
    assert affected.restored_at is None
    assert affected.state == S.RESTORING


def test_a_move_overtakes_the_open_proposals_of_that_system(affected, olga, responder):
    proposed = proposal_create(
        actor=responder, source=WEB, affected=affected, state="offline", reason="Leak"
    )
    move(affected, "read_only", olga)
    proposed.refresh_from_db()
    assert proposed.status == ProposalStatus.SUPERSEDED


def test_a_drill_never_applies_a_public_change_and_says_so(responder, incident, billing, olga):
    disaster = disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=["Billing"], drill=True
    )
    public_change = object()  # never looked at: a drill touches nothing public
    move(disaster.systems.get(), "read_only", olga, public=public_change)
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.body.endswith("(A drill: nothing public changed.)")


def test_a_disaster_that_is_over_moves_nothing(affected, olga, recovery_state):
    affected.disaster.resumed_at = timezone.now()
    affected.disaster.save()
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        move(affected, "read_only", olga)
    assert refused.value.field == "disaster"
    assert recovery_state() == before


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_moves_of_one_system_at_once_cannot_both_apply(affected, olga):
    """Both decide read-only → restoring from what they saw; the row lock makes the second
    wait for the first and then find the system already restoring."""
    if connection.vendor != "postgresql":
        pytest.skip("row locks are PostgreSQL's; SQLite runs one writer at a time anyway")
    move(affected, "read_only", olga)
    seen = AffectedSystem.objects.get(pk=affected.pk)  # both start from read-only
    barrier = threading.Barrier(2)
    outcomes: list[object] = []

    def decide(reason: str) -> None:
        try:
            barrier.wait()
            state_move(
                actor=olga,
                source=ActionSource.API,
                affected=seen,
                state="restoring",
                reason=reason,
            )
            outcomes.append("moved")
        except InvalidTransition as refused:
            outcomes.append(refused.field)
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(word,)) for word in ("first", "second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["moved", "state"]
    assert StateChange.objects.filter(to_state=S.RESTORING).count() == 1
    assert AffectedSystem.objects.get(pk=affected.pk).state == S.RESTORING

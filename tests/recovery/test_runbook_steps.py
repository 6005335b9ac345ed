"""Working through a disaster's runbook: each step's owner, state, times and evidence, each
change on the incident's timeline, and the verification gate that `restored` waits for."""

import pytest
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.recovery.models import (
    RunbookStep,
    StandardStep,
    StepKind,
    StepState,
)
from incidentdesk.recovery.runbooks import (
    DEFAULT_VERIFICATION,
    gate_missing,
    runbook_progress,
    runbook_template_create,
    step_assign,
    step_run,
    step_update,
)
from incidentdesk.recovery.services import disaster_declare
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db


@pytest.fixture
def strike(declare, responder):
    """`strike(system, **incident_fields)`: a new incident declared a disaster of `system`
    (its runbook copied); returns the system in it. (`affected`: Billing's, from conftest.)"""

    def make(system, **fields):
        disaster = disaster_declare(
            actor=responder, source=WEB, incident=declare(**fields), systems=[system]
        )
        return disaster.systems.get()

    return make


def step(affected, position: int) -> RunbookStep:
    return RunbookStep.objects.get(affected=affected, position=position)


def entries(affected) -> list[TimelineEntry]:
    return list(
        TimelineEntry.objects.filter(incident=affected.disaster.incident, data__step__isnull=False)
    )


def test_a_system_without_a_runbook_gets_the_four_standard_steps_and_one_verification(affected):
    steps = list(RunbookStep.objects.filter(affected=affected))
    assert [(s.position, s.standard, s.kind) for s in steps] == [
        (1, StandardStep.CONTAIN, StepKind.RECOVERY),
        (2, StandardStep.RESTORE_DATA, StepKind.RECOVERY),
        (3, StandardStep.DEPLOY, StepKind.RECOVERY),
        (4, StandardStep.SWITCH_DNS, StepKind.RECOVERY),
        (5, "", StepKind.VERIFICATION),
    ]
    assert steps[1].title == "Restore the data into another environment"
    assert steps[4].title == DEFAULT_VERIFICATION
    assert {s.state for s in steps} == {StepState.PENDING}


def test_a_step_done_keeps_who_when_and_the_evidence_and_says_so_on_the_timeline(
    affected, responder
):
    before = timezone.now()
    done = step_update(
        actor=responder,
        source=WEB,
        step=step(affected, 2),
        state="done",
        evidence="Restored last night's backup into eu-west-2",
        evidence_url="https://tracker.example.com/OPS-7",
    )
    done.refresh_from_db()
    assert done.state == StepState.DONE
    assert done.finished_by == responder and done.finished_at >= before
    assert done.evidence == "Restored last night's backup into eu-west-2"
    assert done.evidence_url == "https://tracker.example.com/OPS-7"
    [entry] = entries(affected)
    assert entry.kind == "result" and entry.author == responder and entry.source == "web"
    assert entry.body == (
        "Billing: step 2 (Restore the data into another environment) done: Restored last "
        "night's backup into eu-west-2 Evidence: https://tracker.example.com/OPS-7"
    )
    assert entry.data == {
        "disaster": affected.disaster_id,
        "system": "Billing",
        "step": 2,
        "state": "done",
    }


def test_a_running_step_has_started_and_a_failed_one_has_finished(affected, responder):
    running = step_update(actor=responder, source=WEB, step=step(affected, 3), state="running")
    assert running.started_at is not None and running.finished_at is None
    failed = step_update(
        actor=responder, source=WEB, step=running, state="failed", output="exit status 2"
    )
    assert failed.started_at == running.started_at
    assert failed.finished_at >= failed.started_at and failed.output == "exit status 2"
    assert [e.kind for e in entries(affected)] == ["action", "result"]
    assert entries(affected)[0].body == (
        "Billing: step 3 (Deploy the system into that environment) started"
    )


@pytest.mark.parametrize("state", ["done", "skipped"])
def test_a_step_done_or_skipped_without_evidence_is_refused_naming_evidence(
    affected, responder, state
):
    with pytest.raises(ValidationError) as refused:
        step_update(actor=responder, source=WEB, step=step(affected, 1), state=state)
    assert refused.value.field == "evidence"
    assert step(affected, 1).state == StepState.PENDING
    assert entries(affected) == []


def test_a_skipped_step_keeps_why_it_was_skipped(affected, responder):
    skipped = step_update(
        actor=responder,
        source=WEB,
        step=step(affected, 4),
        state="skipped",
        evidence="The new environment answers on the same name",
    )
    assert skipped.state == StepState.SKIPPED
    assert entries(affected)[0].body.endswith(
        "skipped: The new environment answers on the same name"
    )


def test_a_verification_step_cannot_be_skipped(affected, responder):
    with pytest.raises(ValidationError) as refused:
        step_update(
            actor=responder, source=WEB, step=step(affected, 5), state="skipped", evidence="late"
        )
    assert refused.value.field == "state"
    assert step(affected, 5).state == StepState.PENDING


def test_an_unknown_state_is_refused_naming_state(affected, responder):
    with pytest.raises(ValidationError) as refused:
        step_update(actor=responder, source=WEB, step=step(affected, 1), state="finished")
    assert refused.value.field == "state"


def test_an_automated_step_done_by_hand_says_why(strike, admin, billing, responder):
    runbook_template_create(
        actor=admin,
        source=WEB,
        name="Billing failover",
        system=billing,
        steps=[
            {"title": "Promote the replica", "webhook_url": "https://ops.example.com/promote"},
            {"title": "Invoices open", "kind": "verification"},
        ],
    )
    affected = strike(billing)
    automated = step(affected, 1)
    with pytest.raises(ValidationError) as refused:
        step_update(actor=responder, source=WEB, step=automated, state="done", evidence="done")
    assert refused.value.field == "manual_reason"
    done = step_update(
        actor=responder,
        source=WEB,
        step=automated,
        state="done",
        evidence="Promoted with pg_ctl promote",
        manual_reason="The investigation needs the old primary's disk kept as it is",
    )
    assert done.manual_reason.startswith("The investigation needs")
    assert "Done by hand: The investigation needs" in entries(affected)[-1].body


def test_a_viewer_cannot_work_on_a_runbook(affected, viewer):
    with pytest.raises(PermissionDenied):
        step_update(actor=viewer, source=WEB, step=step(affected, 1), state="running")
    with pytest.raises(PermissionDenied):
        step_assign(actor=viewer, source=WEB, step=step(affected, 1), owner=viewer)
    assert step(affected, 1).state == StepState.PENDING


def test_someone_who_cannot_see_a_restricted_incident_finds_no_step(strike, billing, make_user):
    affected = strike(billing, restricted=True)
    outsider = make_user(username="otto")
    with pytest.raises(NotFound) as refused:
        step_update(actor=outsider, source=WEB, step=step(affected, 1), state="done", evidence="x")
    assert refused.value.field == "step"
    with pytest.raises(NotFound):
        step_assign(actor=outsider, source=WEB, step=step(affected, 1), owner="otto")
    assert step(affected, 1).state == StepState.PENDING


def test_a_step_is_given_to_an_owner_and_the_timeline_says_so(affected, responder, olga):
    owned = step_assign(actor=responder, source=WEB, step=step(affected, 2), owner="olga")
    assert step(affected, 2).owner == olga == owned.owner
    assert entries(affected)[0].body == (
        "Billing: step 2 (Restore the data into another environment) is now olga's"
    )
    step_assign(actor=responder, source=WEB, step=owned, owner=None)
    assert step(affected, 2).owner is None


def test_a_step_is_not_given_to_nobody_we_know_nor_to_someone_who_cannot_see_it(
    strike, billing, responder, make_user
):
    affected = strike(billing, restricted=True)
    make_user(username="otto")
    with pytest.raises(ValidationError) as unknown:
        step_assign(actor=responder, source=WEB, step=step(affected, 1), owner="nobody")
    with pytest.raises(ValidationError) as blind:
        step_assign(actor=responder, source=WEB, step=step(affected, 1), owner="otto")
    assert unknown.value.field == blind.value.field == "owner"
    assert "cannot see" in blind.value.message
    assert step(affected, 1).owner is None


def test_a_step_without_a_webhook_cannot_be_run(affected, responder):
    with pytest.raises(InvalidTransition) as refused:
        step_run(actor=responder, source=WEB, step=step(affected, 1))
    assert refused.value.field == "step"
    assert step(affected, 1).state == StepState.PENDING


def test_the_gate_waits_for_every_verification_step_done_with_evidence(
    strike, admin, billing, responder
):
    runbook_template_create(
        actor=admin,
        source=WEB,
        name="Billing restore",
        system=billing,
        steps=[
            {"title": "Restore the ledger", "standard": "restore_data"},
            {"title": "Invoices add up", "kind": "verification"},
            {"title": "A card payment goes through", "kind": "verification"},
        ],
    )
    affected = strike(billing)
    assert [s.position for s in gate_missing(affected)] == [2, 3]
    step_update(
        actor=responder, source=WEB, step=step(affected, 2), state="done", output="42 == 42"
    )
    step_update(actor=responder, source=WEB, step=step(affected, 3), state="running")
    assert [s.title for s in gate_missing(affected)] == ["A card payment goes through"]
    step_update(
        actor=responder, source=WEB, step=step(affected, 3), state="failed", evidence="declined"
    )
    assert [s.position for s in gate_missing(affected)] == [3]
    step_update(
        actor=responder,
        source=WEB,
        step=step(affected, 3),
        state="done",
        evidence_url="https://ci.example.com/runs/7",
    )
    assert gate_missing(affected) == []


def test_progress_counts_the_steps_settled_and_the_verification_done(affected, responder):
    assert runbook_progress(affected) == {
        "done": 0,
        "total": 5,
        "verification_done": 0,
        "verification_total": 1,
    }
    step_update(actor=responder, source=WEB, step=step(affected, 1), state="done", evidence="ro")
    step_update(actor=responder, source=WEB, step=step(affected, 4), state="skipped", evidence="-")
    step_update(actor=responder, source=WEB, step=step(affected, 2), state="failed")
    step_update(actor=responder, source=WEB, step=step(affected, 5), state="done", evidence="ok")
    assert runbook_progress(affected) == {
        "done": 3,
        "total": 5,
        "verification_done": 1,
        "verification_total": 1,
    }

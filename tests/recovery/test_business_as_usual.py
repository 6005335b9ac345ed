"""Planned work stopped, and the return to business as usual: the decision-maker's call, only
once the postmortem is published and every system is back."""

import pytest

from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.postmortems import services as postmortems
from incidentdesk.recovery.models import Disaster, RunbookStep, StepKind, StepState
from incidentdesk.recovery.services import (
    business_resume,
    disaster_declare,
    planned_work_stop,
    state_move,
)
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db


def back(affected, olga):
    """Billing taken offline, restored, verified with evidence and restored."""
    for state in ("offline", "restoring", "verifying"):
        state_move(actor=olga, source=WEB, affected=affected, state=state, reason=state)
    RunbookStep.objects.filter(affected=affected).update(state=StepState.DONE, evidence="checked")
    if not RunbookStep.objects.filter(affected=affected, kind=StepKind.VERIFICATION).exists():
        RunbookStep.objects.create(
            affected=affected,
            position=99,
            title="Smoke tests",
            kind=StepKind.VERIFICATION,
            state=StepState.DONE,
            evidence="all green",
        )
    state_move(actor=olga, source=WEB, affected=affected, state="restored", reason="Verified")


def publish_postmortem(incident, responder, manager):
    incident_set_status(actor=responder, source=WEB, incident=incident, status="resolved")
    postmortem = postmortems.postmortem_start(actor=responder, source=WEB, incident=incident)
    postmortems.postmortem_edit(
        actor=responder, source=WEB, postmortem=postmortem, taxonomy="MISSING_TEST"
    )
    postmortems.postmortem_review(
        actor=responder, source=WEB, postmortem=postmortem, status="in_review", reviewers=["manny"]
    )
    postmortems.postmortem_review(
        actor=manager, source=WEB, postmortem=postmortem, status="published"
    )


def test_the_decision_maker_records_the_planned_work_stopped_once(disaster, olga, incident):
    planned_work_stop(
        actor=olga,
        source=WEB,
        disaster=disaster,
        planned_work="Sprint 42",
        planned_work_url="https://tracker.example.com/42",
    )
    disaster.refresh_from_db()
    assert (disaster.planned_work, disaster.planned_work_stopped_by) == ("Sprint 42", olga)
    assert disaster.planned_work_stopped_at is not None
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.body == "Planned work Sprint 42 stopped for the disaster."


def test_planned_work_already_recorded_is_refused_naming_planned_work(
    responder, incident, billing, olga, recovery_state
):
    disaster = disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=["Billing"], planned_work="S1"
    )
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        planned_work_stop(actor=olga, source=WEB, disaster=disaster, planned_work="S2")
    assert refused.value.field == "planned_work"
    assert recovery_state() == before


@pytest.mark.parametrize(
    "words, field",
    [
        ({"planned_work": ""}, "planned_work"),
        ({"planned_work": "S", "planned_work_url": "not a link"}, "planned_work_url"),
    ],
)
def test_planned_work_with_bad_words_is_refused(disaster, olga, recovery_state, words, field):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        planned_work_stop(actor=olga, source=WEB, disaster=disaster, **words)
    assert refused.value.field == field
    assert recovery_state() == before


def test_only_the_decision_maker_records_planned_work(disaster, responder, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        planned_work_stop(actor=responder, source=WEB, disaster=disaster, planned_work="S")
    assert recovery_state() == before


def test_business_as_usual_waits_for_the_postmortem(affected, disaster, olga, recovery_state):
    back(affected, olga)
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        business_resume(actor=olga, source=WEB, disaster=disaster)
    assert refused.value.field == "postmortem"
    assert "publish the postmortem" in refused.value.message
    assert recovery_state() == before


def test_business_as_usual_waits_for_every_system_to_be_back(
    responder, manager, incident, billing, search, olga, recovery_state
):
    disaster = disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=["Billing", "Search"]
    )
    billing_affected, search_affected = disaster.systems.order_by("position")
    back(billing_affected, olga)
    state_move(actor=olga, source=WEB, affected=search_affected, state="read_only", reason="r")
    publish_postmortem(incident, responder, manager)
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        business_resume(actor=olga, source=WEB, disaster=disaster)
    assert refused.value.field == "systems"
    assert "Search (Read-only)" in refused.value.message
    assert "Billing" not in refused.value.message
    assert recovery_state() == before


def test_business_as_usual_resumes_the_planned_work_once_all_is_back_and_investigated(
    responder, manager, incident, billing, olga
):
    disaster = disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=["Billing"], planned_work="S42"
    )
    back(disaster.systems.get(), olga)
    publish_postmortem(incident, responder, manager)
    resumed = business_resume(actor=olga, source=WEB, disaster=disaster, note="Root cause fixed")
    assert (resumed.resumed_by, resumed.resume_note, resumed.is_over) == (
        olga,
        "Root cause fixed",
        True,
    )
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.body == "Business as usual resumed. Planned work S42 resumes. Root cause fixed"
    with pytest.raises(InvalidTransition) as again:
        business_resume(actor=olga, source=WEB, disaster=disaster)
    assert again.value.field == "disaster"


def test_a_system_stood_down_to_operational_counts_as_back(
    responder, manager, incident, disaster, affected, olga
):
    state_move(actor=olga, source=WEB, affected=affected, state="read_only", reason="Hold")
    state_move(actor=olga, source=WEB, affected=affected, state="operational", reason="False alarm")
    publish_postmortem(incident, responder, manager)
    business_resume(actor=olga, source=WEB, disaster=disaster)
    assert Disaster.objects.get(pk=disaster.pk).resumed_at is not None

"""A disaster's measured recovery in its incident's postmortem facts: drill or not, the
decision-maker, each system's recovery time against its RTO and data lost against its RPO, a
verification gate overridden with its reason, planned work stopped and business as usual."""

from datetime import UTC, datetime, timedelta

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.incidents.services.roles import role_assign
from incidentdesk.postmortems import present, selectors, services
from incidentdesk.recovery.models import AffectedSystem, Disaster, System, SystemState

WEB = ActionSource.WEB
INTERRUPTED = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def incident(declare, responder):
    """A resolved incident started at INTERRUPTED, ready for its postmortem."""
    made = declare()
    Incident.objects.filter(pk=made.pk).update(started_at=INTERRUPTED)
    made.refresh_from_db()
    return incident_set_status(actor=responder, source=WEB, incident=made, status="resolved")


@pytest.fixture
def disaster_of(make_user, responder):
    """The incident's disaster, written as rows (these tests read what was recorded):
    `systems` maps a name to (RTO minutes, RPO minutes, minutes to restore or None, minutes of
    data lost or None)."""

    def make(incident, systems, drill=False, decision_maker=None, **fields):
        owner = decision_maker or make_user(username="ada", first_name="Ada")
        disaster = Disaster.objects.create(
            incident=incident, drill=drill, interrupted_at=INTERRUPTED, declared_by=owner, **fields
        )
        role_assign(
            actor=responder, source=WEB, incident=incident, role="decision_maker", user=owner
        )
        for position, (name, (rto, rpo, restored, lost)) in enumerate(systems.items(), 1):
            AffectedSystem.objects.create(
                disaster=disaster,
                system=System.objects.create(
                    name=name, owner=owner, rto_minutes=rto, rpo_minutes=rpo
                ),
                position=position,
                state=SystemState.RESTORED if restored is not None else SystemState.RESTORING,
                restored_at=None if restored is None else INTERRUPTED + timedelta(minutes=restored),
                last_recovery_point_at=None
                if lost is None
                else INTERRUPTED - timedelta(minutes=lost),
            )
        return disaster

    return make


def _facts(incident) -> dict[str, str]:
    return {f.label: f.value for f in selectors.incident_facts(incident)}


def test_each_system_s_recovery_time_and_data_lost_are_set_against_its_objectives(
    incident, disaster_of
):
    disaster_of(
        incident,
        {
            "Billing": (240, 60, 120, 30),  # restored in 2 h (RTO 4 h), 30 min lost (RPO 1 h)
            "Ledger": (60, 15, 90, 45),  # restored in 90 min (RTO 1 h), 45 min lost (RPO 15)
        },
    )
    facts = _facts(incident)
    assert facts["Disaster"].startswith("yes, declared at ")
    assert "service interrupted at 26-03-10 12:00" in facts["Disaster"]
    assert facts["Decision-maker"] == "Ada"
    assert facts["Recovery time of Billing"] == "2 hours against an RTO of 4 hours: met"
    assert facts["Data lost by Billing"] == "30 minutes against an RPO of 1 hour: met"
    assert facts["Recovery time of Ledger"] == (
        "1.5 hours against an RTO of 1 hour: missed by 30 minutes"
    )
    assert facts["Data lost by Ledger"] == (
        "45 minutes against an RPO of 15 minutes: missed by 30 minutes"
    )
    # The incident's own facts come first, the disaster's after them.
    labels = list(facts)
    assert labels.index("Severity") < labels.index("Disaster")


def test_a_recovery_exactly_at_the_objective_meets_it(incident, disaster_of):
    disaster_of(incident, {"Billing": (60, 30, 60, 30)})
    facts = _facts(incident)
    assert facts["Recovery time of Billing"] == "1 hour against an RTO of 1 hour: met"
    assert facts["Data lost by Billing"] == "30 minutes against an RPO of 30 minutes: met"


def test_a_system_not_restored_and_a_loss_not_recorded_are_said_so_never_zero(
    incident, disaster_of
):
    disaster_of(incident, {"Billing": (240, 60, None, None)})
    facts = _facts(incident)
    assert facts["Recovery time of Billing"] == "not restored (restoring); RTO 4 hours"
    assert facts["Data lost by Billing"] == "unknown (no recovery point recorded); RPO 1 hour"
    assert facts["Business as usual"] == "not resumed yet"
    assert facts["Planned work"] == "none recorded"


def test_a_drill_says_it_is_one(incident, disaster_of):
    disaster_of(incident, {"Billing": (240, 60, 30, 5)}, drill=True)
    assert _facts(incident)["Disaster"].startswith("a drill, declared at ")


def test_an_overridden_gate_shows_who_overrode_it_and_the_written_reason(
    incident, disaster_of, make_user
):
    ada = make_user(username="ada", first_name="Ada")
    disaster = disaster_of(incident, {"Billing": (240, 60, 120, 30)}, decision_maker=ada)
    disaster.systems.update(
        gate_override_reason="The load test cannot run\nwhile the replica rebuilds",
        gate_override_by=ada,
        gate_override_at=INTERRUPTED + timedelta(minutes=115),
    )
    facts = _facts(incident)
    assert facts["Verification gate of Billing"] == (
        "overridden by Ada at 26-03-10 13:55: The load test cannot run while the replica rebuilds"
    )


def test_a_gate_passed_normally_adds_no_override_fact(incident, disaster_of):
    disaster_of(incident, {"Billing": (240, 60, 120, 30)})
    assert not any(label.startswith("Verification gate") for label in _facts(incident))


def test_planned_work_stopped_and_business_resumed_show_when_and_by_whom(
    incident, disaster_of, make_user
):
    ada = make_user(username="ada", first_name="Ada")
    disaster_of(
        incident,
        {"Billing": (240, 60, 120, 30)},
        decision_maker=ada,
        planned_work="Sprint 42",
        planned_work_url="https://tracker.example.com/sprints/42",
        planned_work_stopped_at=INTERRUPTED + timedelta(minutes=10),
        planned_work_stopped_by=ada,
        resumed_at=datetime(2026, 3, 12, 9, 0, tzinfo=UTC),
        resumed_by=ada,
    )
    facts = _facts(incident)
    assert facts["Planned work"] == (
        "Sprint 42 (https://tracker.example.com/sprints/42) stopped at 26-03-10 12:10 by Ada"
    )
    assert facts["Business as usual"] == "resumed at 26-03-12 09:00 by Ada"


def test_the_decision_maker_is_the_current_holder_of_the_role(
    incident, disaster_of, make_user, responder
):
    disaster = disaster_of(incident, {"Billing": (240, 60, 120, 30)})
    bob = make_user(username="bob", first_name="Bob")
    role_assign(
        actor=responder, source=WEB, incident=disaster.incident, role="decision_maker", user=bob
    )
    assert _facts(incident)["Decision-maker"] == "Bob"


def test_an_incident_that_never_became_a_disaster_has_no_disaster_facts(incident):
    labels = set(_facts(incident))
    assert "Disaster" not in labels and "Decision-maker" not in labels
    assert not any("RTO" in label or "Recovery time of" in label for label in labels)


def test_the_postmortem_export_and_json_carry_the_disaster_facts(incident, disaster_of, responder):
    disaster_of(incident, {"Billing": (240, 60, 120, 30)})
    postmortem = services.postmortem_start(actor=responder, source=WEB, incident=incident)
    markdown = present.to_markdown(postmortem)
    assert "- **Recovery time of Billing:** 2 hours against an RTO of 4 hours: met" in markdown
    sections = present.postmortem_json(postmortem)["sections"]
    facts = [f for s in sections for f in s["facts"]]
    assert {
        "label": "Data lost by Billing",
        "value": "30 minutes against an RPO of 1 hour: met",
    } in facts

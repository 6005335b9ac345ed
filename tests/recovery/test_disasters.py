"""Declaring a disaster: its systems, its one decision-maker, the planned work it stops; and
what a declaration refuses, naming the field and writing nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.incidents.models import (
    EntryKind,
    Incident,
    IncidentRole,
    IncidentStatus,
    RoleAssignment,
    TimelineEntry,
)
from incidentdesk.incidents.services import role_assign
from incidentdesk.recovery.models import Disaster, SystemState
from incidentdesk.recovery.services import (
    business_resume,
    decision_maker_of,
    disaster_add_system,
    disaster_declare,
)
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db


def declare_disaster(actor, incident, **fields):
    fields.setdefault("systems", ["Billing"])
    return disaster_declare(actor=actor, source=WEB, incident=incident, **fields)


def test_declaring_makes_the_first_systems_owner_the_decision_maker(
    responder, incident, billing, search, olga
):
    disaster = declare_disaster(responder, incident, systems=["billing", search.pk])
    assert decision_maker_of(disaster) == olga
    assert (
        RoleAssignment.objects.get(
            incident=incident, role=IncidentRole.DECISION_MAKER, ended_at=None
        ).user
        == olga
    )
    systems = list(disaster.systems.select_related("system"))
    assert [(a.system.name, a.position, a.state) for a in systems] == [
        ("Billing", 1, SystemState.OPERATIONAL),
        ("Search", 2, SystemState.OPERATIONAL),
    ]
    assert disaster.declared_by == responder
    assert disaster.drill is False


def test_the_declaration_is_one_decision_on_the_timeline_and_the_role_is_announced(
    responder, incident, billing, search
):
    disaster = declare_disaster(
        responder, incident, systems=["Billing", "Search"], planned_work="Sprint 42"
    )
    decision = TimelineEntry.objects.get(incident=incident, kind=EntryKind.DECISION)
    assert decision.body == (
        "Declared a disaster. Systems: Billing, Search. Decision-maker: Olga. "
        "Planned work Sprint 42 stopped."
    )
    assert decision.data["disaster"] == disaster.pk
    assert decision.recorded_by_system
    role = TimelineEntry.objects.get(incident=incident, kind=EntryKind.ROLE_CHANGE)
    assert role.data == {"role": "decision_maker", "to": "olga", "from": None}


def test_a_named_decision_maker_takes_the_role(responder, incident, billing, sam):
    disaster = declare_disaster(responder, incident, decision_maker="sam")
    assert decision_maker_of(disaster) == sam


def test_whoever_already_decides_keeps_the_role_when_nobody_is_named(
    responder, incident, billing, sam
):
    role_assign(actor=responder, source=WEB, incident=incident, role="decision_maker", user=sam)
    disaster = declare_disaster(responder, incident)
    assert decision_maker_of(disaster) == sam
    assert RoleAssignment.objects.filter(incident=incident, role="decision_maker").count() == 1


def test_a_drill_is_flagged_and_says_so(responder, incident, billing):
    disaster = declare_disaster(responder, incident, drill=True)
    assert disaster.drill
    entry = TimelineEntry.objects.get(incident=incident, kind=EntryKind.DECISION)
    assert entry.body.startswith("Declared a drill of a disaster.")


def test_planned_work_named_is_recorded_stopped_now_by_the_declarer(responder, incident, billing):
    disaster = declare_disaster(
        responder,
        incident,
        planned_work="Sprint 42",
        planned_work_url="https://tracker.example.com/sprints/42",
    )
    disaster.refresh_from_db()
    assert disaster.planned_work == "Sprint 42"
    assert disaster.planned_work_url == "https://tracker.example.com/sprints/42"
    assert disaster.planned_work_stopped_by == responder
    assert timezone.now() - disaster.planned_work_stopped_at < timedelta(minutes=1)


def test_without_planned_work_nothing_is_recorded_stopped(disaster):
    assert disaster.planned_work_stopped_at is None
    assert disaster.planned_work_stopped_by is None


def test_the_interruption_is_the_incidents_start_else_the_declaration(responder, declare, billing):
    started = timezone.now() - timedelta(hours=3)
    with_start = declare(started_at=started)
    assert declare_disaster(responder, with_start).interrupted_at == started
    without = declare()
    Incident.objects.filter(pk=without.pk).update(started_at=None)
    without.refresh_from_db()
    disaster = declare_disaster(responder, without)
    assert abs(disaster.interrupted_at - disaster.declared_at) < timedelta(seconds=5)


def test_an_interruption_given_is_kept(responder, incident, billing):
    moment = timezone.now() - timedelta(minutes=90)
    assert declare_disaster(responder, incident, interrupted_at=moment).interrupted_at == moment


def test_a_system_listed_twice_is_affected_once(responder, incident, billing):
    disaster = declare_disaster(responder, incident, systems=["Billing", "billing", billing.pk])
    assert disaster.systems.count() == 1


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"systems": []}, "systems"),
        ({"systems": "Billing"}, "systems"),
        ({"systems": ["Billing", "Nope"]}, "systems"),
        ({"systems": [None]}, "systems"),
        ({"decision_maker": "nobody"}, "decision_maker"),
        ({"drill": "yes"}, "drill"),
        ({"planned_work": "s" * 201}, "planned_work"),
        ({"planned_work": "Sprint", "planned_work_url": "ftp://x.example"}, "planned_work_url"),
        ({"planned_work_url": "https://tracker.example.com/1"}, "planned_work"),
        ({"interrupted_at": "yesterday"}, "interrupted_at"),
        ({"interrupted_at": timezone.now().replace(tzinfo=None)}, "interrupted_at"),
        ({"interrupted_at": timezone.now() + timedelta(hours=1)}, "interrupted_at"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
    responder, incident, billing, recovery_state, fields, field
):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        declare_disaster(responder, incident, **fields)
    assert refused.value.field == field
    assert recovery_state() == before


def test_a_deactivated_decision_maker_is_refused(responder, incident, billing, sam, recovery_state):
    sam.is_active = False
    sam.save()
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        declare_disaster(responder, incident, decision_maker=sam)
    assert refused.value.field == "decision_maker"
    assert recovery_state() == before


def test_a_viewer_cannot_declare(viewer, incident, billing, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        declare_disaster(viewer, incident)
    assert recovery_state() == before


def test_someone_who_cannot_see_a_restricted_incident_is_told_there_is_none(
    declare, make_user, billing, recovery_state
):
    secret = declare(security=True)
    outsider = make_user(username="outsider")
    before = recovery_state()
    with pytest.raises(NotFound) as refused:
        declare_disaster(outsider, secret)
    assert refused.value.field == "incident"
    assert recovery_state() == before


def test_a_closed_incident_cannot_become_a_disaster(responder, incident, billing, recovery_state):
    Incident.objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        declare_disaster(responder, incident)
    assert refused.value.field == "incident"
    assert recovery_state() == before


def test_an_incident_is_a_disaster_once(responder, disaster, incident, search, recovery_state):
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        declare_disaster(responder, incident, systems=["Search"])
    assert refused.value.field == "incident"
    assert "already a disaster" in refused.value.message
    assert recovery_state() == before


def test_handing_the_role_over_hands_over_the_decisions(responder, disaster, incident, sam):
    role_assign(actor=responder, source=WEB, incident=incident, role="decision_maker", user=sam)
    assert decision_maker_of(disaster) == sam


def test_the_decision_maker_adds_a_system_last(disaster, olga, search, incident):
    added = disaster_add_system(actor=olga, source=WEB, disaster=disaster, system="search")
    assert (added.system, added.position, added.state) == (search, 2, SystemState.OPERATIONAL)
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.body == "Search joins the disaster."


def test_only_the_decision_maker_adds_a_system(disaster, responder, search, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied) as refused:
        disaster_add_system(actor=responder, source=WEB, disaster=disaster, system="Search")
    assert "Olga" in refused.value.message
    assert recovery_state() == before


@pytest.mark.parametrize("system", ["Billing", "Nope"])
def test_adding_a_system_already_affected_or_unknown_is_refused_naming_system(
    disaster, olga, recovery_state, system
):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        disaster_add_system(actor=olga, source=WEB, disaster=disaster, system=system)
    assert refused.value.field == "system"
    assert recovery_state() == before


def test_a_disaster_that_is_over_takes_no_more_systems(disaster, olga, search, recovery_state):
    Disaster.objects.filter(pk=disaster.pk).update(resumed_at=timezone.now())
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        disaster_add_system(actor=olga, source=WEB, disaster=disaster, system="Search")
    assert refused.value.field == "disaster"
    assert recovery_state() == before


def test_resuming_is_the_decision_makers_alone(disaster, responder, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        business_resume(actor=responder, source=WEB, disaster=disaster)
    assert recovery_state() == before


def test_each_system_gets_its_runbook_copied_the_built_in_one_by_default(disaster, affected):
    from incidentdesk.recovery.runbooks import DEFAULT_VERIFICATION

    steps = list(affected.steps.order_by("position"))
    assert [s.position for s in steps] == [1, 2, 3, 4, 5]
    assert (steps[-1].kind, steps[-1].title) == ("verification", DEFAULT_VERIFICATION)

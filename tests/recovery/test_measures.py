"""What a disaster measured: recovery time against the RTO, data lost against the RPO, the
clock; and the one shape the API and the CLI read a disaster and a system in."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from incidentdesk.recovery import measures, selectors
from incidentdesk.recovery.models import AffectedSystem, RunbookStep, StepKind, SystemState
from incidentdesk.recovery.services import disaster_declare, proposal_create, state_move
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db

S = SystemState


def at(affected, **fields):
    AffectedSystem.objects.filter(pk=affected.pk).update(**fields)
    return AffectedSystem.objects.select_related("system", "disaster").get(pk=affected.pk)


def test_recovery_time_runs_from_the_interruption_to_the_restore(affected):
    start = affected.disaster.interrupted_at
    restored = at(affected, state=S.RESTORED, restored_at=start + timedelta(minutes=45))
    assert measures.recovery_time(restored) == timedelta(minutes=45)
    assert measures.rto_met(restored) is True  # Billing's RTO is 60 minutes
    late = at(affected, restored_at=start + timedelta(minutes=61))
    assert measures.rto_met(late) is False


def test_nothing_is_measured_before_it_happened(affected):
    assert measures.recovery_time(affected) is None
    assert measures.data_loss(affected) is None
    assert measures.rto_met(affected) is None
    assert measures.rpo_met(affected) is None


def test_data_lost_runs_from_the_last_recovery_point_to_the_interruption(affected):
    start = affected.disaster.interrupted_at
    lost = at(affected, last_recovery_point_at=start - timedelta(minutes=15))
    assert measures.data_loss(lost) == timedelta(minutes=15)
    assert measures.rpo_met(lost) is True  # Billing's RPO is 15 minutes
    more = at(affected, last_recovery_point_at=start - timedelta(minutes=16))
    assert measures.rpo_met(more) is False
    after = at(affected, last_recovery_point_at=start + timedelta(minutes=5))
    assert measures.data_loss(after) == timedelta(0)


def test_the_clock_runs_while_the_system_is_down_and_stops_at_the_restore(affected):
    start = affected.disaster.interrupted_at
    down = at(affected, state=S.RESTORING)
    clock = measures.clock(down, now=start + timedelta(minutes=20))
    assert clock == {
        "elapsed": timedelta(minutes=20),
        "rto": timedelta(minutes=60),
        "remaining": timedelta(minutes=40),
        "over": False,
        "running": True,
    }
    late = measures.clock(down, now=start + timedelta(minutes=90))
    assert (late["over"], late["remaining"]) == (True, timedelta(0))
    restored = at(affected, state=S.RESTORED, restored_at=start + timedelta(minutes=50))
    stopped = measures.clock(restored, now=start + timedelta(days=2))
    assert (stopped["elapsed"], stopped["running"], stopped["over"]) == (
        timedelta(minutes=50),
        False,
        False,
    )


def test_a_system_stood_down_stops_its_clock_when_it_went_back(affected):
    start = affected.disaster.interrupted_at
    stood_down = at(affected, state=S.OPERATIONAL, state_changed_at=start + timedelta(minutes=7))
    clock = measures.clock(stood_down, now=start + timedelta(hours=5))
    assert (clock["elapsed"], clock["running"]) == (timedelta(minutes=7), False)


def test_a_system_reads_with_its_owner_objectives_and_components(billing):
    data = selectors.system_data(billing)
    assert data["name"] == "Billing"
    assert (data["owner"], data["rto_minutes"], data["rpo_minutes"]) == ("olga", 60, 15)
    assert sorted(c["name"] for c in data["components"]) == ["Invoices", "Payments API"]


def test_a_disaster_reads_with_its_systems_moves_steps_proposals_and_measures(
    disaster, affected, olga, responder
):
    state_move(actor=olga, source=WEB, affected=affected, state="read_only", reason="Hold")
    RunbookStep.objects.filter(affected=affected).delete()
    RunbookStep.objects.create(
        affected=affected, position=1, title="Smoke tests", kind=StepKind.VERIFICATION
    )
    proposal_create(actor=responder, source=WEB, affected=affected, state="offline", reason="x")
    data = selectors.disaster_data(selectors.disaster_for_incident(disaster.incident))
    assert data["incident"]["reference"] == disaster.incident.reference
    assert (data["drill"], data["decision_maker"], data["resumed_at"]) == (False, "olga", None)
    (system,) = data["systems"]
    assert (system["name"], system["state"]) == ("Billing", "read_only")
    assert system["allowed_moves"] == ["maintenance", "offline", "restoring", "operational"]
    assert system["gate_missing"] == [1]
    assert [s["title"] for s in system["steps"]] == ["Smoke tests"]
    assert system["measures"]["rto_minutes"] == 60
    assert system["measures"]["running"] is True
    assert [(p["system"], p["to_state"], p["status"]) for p in data["proposals"]] == [
        ("Billing", "offline", "open")
    ]
    # Read without the selectors' prefetching, it says the same.
    assert selectors.disaster_data(disaster) == data


def test_reading_disasters_costs_the_same_few_queries_however_many_systems(
    responder, declare, billing, search
):
    for systems in (["Billing"], ["Billing", "Search"]):
        disaster_declare(actor=responder, source=WEB, incident=declare(), systems=systems)
    with CaptureQueriesContext(connection) as queries:
        listed = [selectors.disaster_data(d) for d in selectors.disasters_for(responder)]
    assert [len(d["systems"]) for d in listed] == [2, 1]
    assert len(queries) <= 7


def test_a_restricted_incidents_disaster_is_only_listed_to_those_who_see_it(
    declare, responder, make_user, billing
):
    secret = declare(security=True)
    disaster_declare(actor=responder, source=WEB, incident=secret, systems=["Billing"])
    assert selectors.disasters_for(make_user(username="outsider")).count() == 0
    assert selectors.disasters_for(responder).count() == 1


def test_the_recovery_time_of_a_disaster_reads_in_seconds(affected):
    start = affected.disaster.interrupted_at
    at(affected, state=S.RESTORED, restored_at=start + timedelta(minutes=30))
    data = selectors.disaster_data(selectors.disaster_for_incident(affected.disaster.incident))
    assert data["systems"][0]["measures"]["recovery_seconds"] == 1800
    assert data["systems"][0]["measures"]["rto_met"] is True
    assert timezone.now() > data["declared_at"]

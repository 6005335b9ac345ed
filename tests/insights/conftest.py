from datetime import UTC, date, datetime, timedelta

import pytest

from incidentdesk.incidents.models import ActionItem, Incident
from incidentdesk.recovery.models import AffectedSystem, Disaster, System, SystemState

DAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
MARCH = "since=2026-03-01&until=2026-03-31"


@pytest.fixture
def incident_at(declare):
    """Declare an incident through the service, then set its measured timestamps directly:
    these tests are about reading figures, and the timestamps are the input under test.
    `ttd` and `ttf` are minutes; None leaves the timestamp missing."""

    def make(declared=DAY, ttd=None, ttf=None, severity="major", **fields):
        incident = declare(severity=severity, **fields)
        started = declared - timedelta(hours=1)
        values = {
            "declared_at": declared,
            "started_at": started,
            "detected_at": None,
            "resolved_at": None,
        }
        if ttd is not None:
            values["detected_at"] = started + timedelta(minutes=ttd)
            if ttf is not None:
                values["resolved_at"] = values["detected_at"] + timedelta(minutes=ttf)
        Incident.objects.filter(pk=incident.pk).update(**values)
        incident.refresh_from_db()
        return incident

    return make


@pytest.fixture
def action_on():
    """An action item on an incident in a given status and due date (fixture data for reads)."""

    def make(incident, status="open", due=None):
        return ActionItem.objects.create(
            incident=incident, title="Add an alert", status=status, due_date=due
        )

    return make


def days_ago(n: int) -> date:
    from django.utils import timezone

    return timezone.localdate() - timedelta(days=n)


@pytest.fixture
def systems(make_user):
    owner = make_user(username="olga")
    return {
        "Billing": System.objects.create(
            name="Billing", owner=owner, rto_minutes=60, rpo_minutes=15
        ),
        "Search": System.objects.create(
            name="Search", owner=owner, rto_minutes=240, rpo_minutes=1440
        ),
    }


@pytest.fixture
def disaster_on(systems):
    """A disaster (or drill) on an incident, written as rows (these tests read figures):
    `measured` maps a system name to (minutes to restore or None, minutes of data lost or
    None), counted from the incident's start."""

    def make(incident, measured, drill=False, resumed=False, state=SystemState.RESTORING):
        start = incident.started_at
        disaster = Disaster.objects.create(
            incident=incident,
            drill=drill,
            interrupted_at=start,
            resumed_at=start + timedelta(days=2) if resumed else None,
        )
        for position, (name, (restored, lost)) in enumerate(measured.items(), 1):
            AffectedSystem.objects.create(
                disaster=disaster,
                system=systems[name],
                position=position,
                state=SystemState.RESTORED if restored is not None else state,
                restored_at=None if restored is None else start + timedelta(minutes=restored),
                last_recovery_point_at=None if lost is None else start - timedelta(minutes=lost),
            )
        return disaster

    return make

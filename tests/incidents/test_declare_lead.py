"""Declaring with `lead`: the declarer leads the incident from the moment it exists, through the
service, the API and the CLI."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    EntryKind,
    Incident,
    IncidentRole,
    RoleAssignment,
    TimelineEntry,
)
from incidentdesk.incidents.services import incident_declare
from incidentdesk.notifications.models import OutboxEvent

pytestmark = pytest.mark.django_db

WEB = ActionSource.WEB


def leads(incident) -> list[str]:
    return list(
        RoleAssignment.objects.filter(
            incident=incident, role=IncidentRole.LEAD, ended_at__isnull=True
        ).values_list("user__username", flat=True)
    )


def test_declaring_with_lead_makes_the_declarer_lead_and_acknowledges_the_incident(responder):
    incident = incident_declare(
        actor=responder,
        source=WEB,
        title="Checkout fails",
        severity="major",
        criteria=["immediate_response"],
        lead=True,
    )
    assert leads(incident) == [responder.username]
    stored = Incident.objects.get(pk=incident.pk)
    assert stored.acknowledged_at is not None
    assert stored.acknowledged_at >= stored.declared_at
    # The answer already knows its lead and acknowledgement, as the row does.
    assert incident.acknowledged_at == stored.acknowledged_at
    assert {held.role for held in incident.current_roles} == {"reporter", "lead"}


def test_the_lead_is_recorded_after_the_declaration_on_the_timeline(responder):
    incident = incident_declare(
        actor=responder,
        source=WEB,
        title="Checkout fails",
        severity="major",
        criteria=["immediate_response"],
        lead=True,
    )
    entries = list(
        TimelineEntry.objects.filter(incident=incident)
        .order_by("occurred_at", "pk")
        .values_list("kind", "source")
    )
    assert entries == [(EntryKind.EVENT, "web"), (EntryKind.ROLE_CHANGE, "web")]


def test_declaring_without_lead_leaves_the_lead_to_be_taken(responder):
    incident = incident_declare(
        actor=responder,
        source=WEB,
        title="Checkout fails",
        severity="major",
        criteria=["immediate_response"],
    )
    assert leads(incident) == []
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is None


def test_the_desk_hears_of_the_lead_in_the_announcement_not_in_a_second_notice(
    responder, make_user
):
    make_user(username="desk", email="desk@example.com", on_responders_desk=True)
    incident_declare(
        actor=responder,
        source=WEB,
        title="Checkout fails",
        severity="major",
        criteria=["immediate_response"],
        lead=True,
    )
    topics = list(OutboxEvent.objects.values_list("topic", flat=True))
    assert topics.count("incident.declared") == 1
    assert "incident.desk_change" not in topics


def test_a_refused_declaration_gives_nobody_the_lead(responder):
    with pytest.raises(ValidationError) as refused:
        incident_declare(
            actor=responder,
            source=WEB,
            title="Checkout fails",
            severity="major",
            criteria=[],
            lead=True,
        )
    assert refused.value.field == "criteria"
    assert not Incident.objects.exists()
    assert not RoleAssignment.objects.exists()


def test_lead_must_be_true_or_false(responder):
    with pytest.raises(ValidationError) as refused:
        incident_declare(
            actor=responder,
            source=WEB,
            title="Checkout fails",
            severity="major",
            criteria=["immediate_response"],
            lead="yes",
        )
    assert refused.value.field == "lead"


def test_a_retrospective_incident_gets_its_lead_without_an_acknowledgement_after_it_ended(
    responder,
):
    now = timezone.now()
    incident = incident_declare(
        actor=responder,
        source=WEB,
        title="Nightly export was late",
        severity="trivial",
        kind="retrospective",
        criteria=["degraded_experience"],
        started_at=now - timedelta(hours=5),
        resolved_at=now - timedelta(hours=4),
        lead=True,
    )
    assert leads(incident) == [responder.username]
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is None


def test_the_api_declares_with_the_declarer_as_lead(rita, responder):
    response = rita.call(
        "POST",
        "/incidents",
        {
            "title": "Checkout fails",
            "severity": "major",
            "criteria": ["immediate_response"],
            "lead": True,
        },
    )
    assert response.status_code == 201, response.json_body
    leads_named = [person["username"] for person in response.json_body["roles"]["lead"]]
    assert leads_named == [responder.username]
    assert response.json_body["acknowledged_at"] is not None


def test_the_cli_declares_with_the_declarer_as_lead(cli, responder):
    run = cli(
        "declare",
        "--title",
        "Checkout fails",
        "--severity",
        "major",
        "--criteria",
        "immediate_response",
        "--lead",
        "--json",
        "--as",
        responder.username,
    )
    assert run.code == 0, run.err
    reference = json.loads(run.out)["reference"]
    assert leads(Incident.objects.get(reference=reference)) == [responder.username]

"""A canary put into every internal field of an incident never reaches the public side:
no rendered document, no v2 JSON, no feed, no response of any public address, and no
subscriber notification."""

import pytest
from django.test import Client

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_declare
from incidentdesk.incidents.services.actions import action_item_create
from incidentdesk.incidents.services.catalog import severity_save
from incidentdesk.incidents.services.roles import role_assign
from incidentdesk.incidents.services.timeline import timeline_entry_add
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.statuspage import public_site, services
from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.public_site import refresh_or_raise
from tests.factories import ComponentFactory

WEB = ActionSource.WEB
CANARY = "canaryq7x3zz"
URL = f"https://internal.example.com/{CANARY}"


@pytest.fixture
def leaky_incident(admin, make_user):
    ComponentFactory(name="API")
    severity_save(actor=admin, source=WEB, key="major", changes={"name": f"Major {CANARY}"})
    lead = make_user(
        username=f"lead{CANARY}",
        first_name=f"Lee {CANARY}",
        email=f"lead.{CANARY}@corp.example.com",
    )
    comms = make_user(username=f"comms{CANARY}", email=f"comms.{CANARY}@corp.example.com")
    incident = incident_declare(
        actor=admin,
        source=WEB,
        title=f"DB primary OOM {CANARY}",
        severity="major",
        criteria=[],
        criteria_reason=f"Because {CANARY}",
        summary=f"Summary {CANARY}",
        impact=f"Impact {CANARY}",
        users_affected_count=12,
        users_affected_description=f"Customers of {CANARY}",
        reported_by=f"Reporter {CANARY}",
        cause_change_url=URL,
        fix_change_urls=[URL + "/fix"],
        tracker_url=URL + "/issue",
        call_url=URL + "/call",
        chat_url=URL + "/chat",
    )
    role_assign(actor=admin, source=WEB, incident=incident, role="lead", user=lead)
    role_assign(actor=admin, source=WEB, incident=incident, role="comms_lead", user=comms)
    timeline_entry_add(
        actor=admin, source=WEB, incident=incident, kind="note", body=f"Note {CANARY}"
    )
    timeline_entry_add(
        actor=admin, source=WEB, incident=incident, kind="decision", body=f"Decided {CANARY}"
    )
    action_item_create(
        actor=admin,
        source=WEB,
        incident=incident,
        title=f"Action {CANARY}",
        description=f"Details {CANARY}",
        external_url=URL + "/ticket",
    )
    return incident


@pytest.fixture
def published(leaky_incident, admin, django_capture_on_commit_callbacks):
    public_site.cache.reset()
    with django_capture_on_commit_callbacks(execute=True):
        pi = services.publication_create(
            actor=admin,
            source=WEB,
            incident=leaky_incident,
            name="Elevated API errors",
            message="Some API requests fail.",
            components={"API": "major_outage"},
            workaround="Retry the request.",
            workaround_url="https://docs.example.com/retry",
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_update(
            actor=admin, source=WEB, public_incident=pi, message="A fix is rolling out."
        )
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_resolve(
            actor=admin, source=WEB, public_incident=pi, message="All requests succeed again."
        )
    refresh_or_raise()
    yield pi
    public_site.cache.reset()


def test_the_incident_really_carries_the_canary_internally(leaky_incident):
    assert CANARY in leaky_incident.title and CANARY in leaky_incident.severity.name


def test_no_rendered_document_contains_the_canary(published):
    documents = list(PublicDocument.objects.values_list("path", "body"))
    assert len(documents) > 12
    leaks = [path for path, body in documents if CANARY.encode() in bytes(body).lower()]
    assert leaks == []


def test_no_public_address_answers_with_the_canary(published):
    client = Client()
    paths = [
        *PublicDocument.objects.values_list("path", flat=True),
        f"/incidents/{published.public_id}",
        "/incidents/doesnotexist",
        "/api/v2/unknown.json",
    ]
    for path in paths:
        response = client.get(path)
        assert response.status_code in (200, 404), path
        assert CANARY.encode() not in response.content.lower(), path


def test_the_public_text_is_what_was_published(published):
    body = bytes(PublicDocument.objects.get(path=f"/incidents/{published.public_id}").body)
    for text in (b"Elevated API errors", b"A fix is rolling out.", b"All requests succeed again."):
        assert text in body


def test_no_subscriber_notification_carries_the_canary(published):
    events = OutboxEvent.objects.filter(to_subscribers=True)
    assert events.exists()
    for event in events:
        assert CANARY not in str(event.payload).lower(), event.topic

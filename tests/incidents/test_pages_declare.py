from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from incidentdesk.incidents.models import Incident, IncidentStatus, TimelineEntry
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db

FORM = {
    "title": "Checkout returns 500",
    "severity": "critical",
    "kind": "live",
    "criteria": ["immediate_response", "multiple_users"],
    "summary": "Orders fail after the deploy.",
    "impact": "Customers cannot pay.",
    "users_affected_count": "120",
    "detection": "reactive",
    "reported_by": "Support",
    "report_medium": "email",
    "tracker_url": "https://tracker.example.com/1",
}


def test_declaring_from_the_form_redirects_to_the_incident_page(client, responder):
    db = ComponentFactory(name="Database")
    client.force_login(responder)
    response = client.post(
        reverse("incident_declare"), {**FORM, "components": [db.pk], "security": "on"}
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incident_detail", args=[incident.reference])
    assert incident.severity.key == "critical"
    assert incident.criteria == ["immediate_response", "multiple_users"]
    assert list(incident.components.all()) == [db]
    assert incident.security is True
    assert incident.users_affected_count == 120
    assert TimelineEntry.objects.get(incident=incident).source == "web"


def test_datetime_inputs_are_read_in_the_configured_time_zone(client, responder, settings):
    settings.TIME_ZONE = "Europe/Madrid"
    client.force_login(responder)
    client.post(
        reverse("incident_declare"), {**FORM, "started": "at", "started_at": "2024-01-10T09:30"}
    )
    started = Incident.objects.get().started_at
    assert started == datetime(2024, 1, 10, 9, 30, tzinfo=ZoneInfo("Europe/Madrid"))


def test_a_retrospective_incident_is_created_resolved(client, responder):
    client.force_login(responder)
    client.post(
        reverse("incident_declare"),
        {
            **FORM,
            "kind": "retrospective",
            "started": "at",
            "started_at": "2024-01-10T09:30",
            "resolved_at": "2024-01-10T11:00",
        },
    )
    assert Incident.objects.get().status == IncidentStatus.RESOLVED


def test_a_service_error_shows_next_to_its_field_and_keeps_the_input(client, responder):
    client.force_login(responder)
    response = client.post(
        reverse("incident_declare"),
        {
            **FORM,
            "started": "at",
            "started_at": "2024-01-10T10:00",
            "detected_at": "2024-01-10T09:00",
        },
    )
    assert response.status_code == 422
    form = response.context["form"]
    assert "is before started_at" in form.errors["detected_at"][0]
    body = response.content.decode()
    assert 'id="id_detected_at_error"' in body
    assert 'value="Checkout returns 500"' in body
    assert not Incident.objects.exists()
    assert not TimelineEntry.objects.exists()


def test_missing_criteria_are_reported_on_the_criteria_field(client, responder):
    client.force_login(responder)
    response = client.post(reverse("incident_declare"), {**FORM, "criteria": []})
    assert response.status_code == 422
    assert "tick at least one" in response.context["form"].errors["criteria"][0].lower()
    assert not Incident.objects.exists()


def test_a_bad_url_is_reported_on_its_field(client, responder):
    client.force_login(responder)
    response = client.post(reverse("incident_declare"), {**FORM, "call_url": "javascript:alert(1)"})
    assert response.status_code == 422
    assert "not an http(s) URL" in response.context["form"].errors["call_url"][0]


def test_a_viewer_cannot_declare(client, viewer):
    client.force_login(viewer)
    assert client.get(reverse("incident_declare")).status_code == 403
    assert client.post(reverse("incident_declare"), FORM).status_code == 403
    assert not Incident.objects.exists()

"""The quick declare form: only the title, the severity (never chosen for you), what is
happening, why, when it started and who leads; the rest under "More details"."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidentdesk.incidents.models import Incident, IncidentRole

pytestmark = pytest.mark.django_db

QUICK = {
    "title": "Checkout returns 500",
    "severity": "major",
    "summary": "Orders fail after the deploy.",
    "criteria": ["immediate_response"],
    "started": "now",
    "lead": "on",
}


def declare_page(client) -> str:
    return client.get(reverse("incident_declare")).content.decode()


def test_no_severity_is_chosen_before_the_declarer_chooses_one(client, responder):
    client.force_login(responder)
    body = declare_page(client)
    select = body[body.index('<select name="severity"') : body.index("</select>")]
    assert '<option value="" selected>Choose…</option>' in select
    assert select.count("selected") == 1


def test_declaring_without_a_severity_is_refused_on_the_severity_field(client, responder):
    client.force_login(responder)
    response = client.post(reverse("incident_declare"), {**QUICK, "severity": ""})
    assert response.status_code == 422
    assert "severity" in response.context["form"].errors
    assert not Incident.objects.exists()


def test_the_quick_fields_alone_declare_an_incident_led_by_the_declarer(client, responder):
    client.force_login(responder)
    response = client.post(reverse("incident_declare"), QUICK)
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.summary == "Orders fail after the deploy."
    lead = incident.role_history.get(role=IncidentRole.LEAD)
    assert lead.user == responder and lead.ended_at is None
    assert incident.acknowledged_at is not None


def test_i_will_lead_this_is_ticked_on_a_fresh_form_and_unticking_it_leaves_no_lead(
    client, responder
):
    client.force_login(responder)
    body = declare_page(client)
    lead = body[body.index('name="lead"') :].split(">")[0]
    assert " checked" in lead
    client.post(reverse("incident_declare"), {k: v for k, v in QUICK.items() if k != "lead"})
    assert not Incident.objects.get().role_history.filter(role=IncidentRole.LEAD).exists()


@pytest.mark.parametrize("minutes", [15, 30, 60])
def test_minutes_ago_start_that_long_before_the_declaration(client, responder, minutes):
    client.force_login(responder)
    before = timezone.now()
    client.post(reverse("incident_declare"), {**QUICK, "started": str(minutes)})
    incident = Incident.objects.get()
    assert incident.declared_at - incident.started_at == timedelta(minutes=minutes)
    assert before <= incident.declared_at <= timezone.now()


def test_now_starts_it_when_it_is_declared_so_its_start_is_never_unknown(client, responder):
    client.force_login(responder)
    client.post(reverse("incident_declare"), {**QUICK, "started": "now"})
    incident = Incident.objects.get()
    assert incident.started_at is not None
    assert incident.started_at == incident.declared_at


def test_at_a_time_without_the_time_is_refused_on_the_time(client, responder):
    client.force_login(responder)
    response = client.post(reverse("incident_declare"), {**QUICK, "started": "at"})
    assert response.status_code == 422
    assert "give the time it started" in response.context["form"].errors["started_at"][0]
    assert 'id="id_started_at_error"' in response.content.decode()


def test_a_typed_time_with_another_choice_is_refused_rather_than_dropped(client, responder):
    client.force_login(responder)
    response = client.post(
        reverse("incident_declare"), {**QUICK, "started": "15", "started_at": "2024-01-10T09:30"}
    )
    assert response.status_code == 422
    assert "At this time" in response.context["form"].errors["started_at"][0]
    assert not Incident.objects.exists()


def test_more_details_starts_closed_and_opens_when_one_of_its_fields_has_a_value_or_error(
    client, responder
):
    client.force_login(responder)
    assert '<details class="card declare-more" id="more-details">' in declare_page(client)
    # Refused for another reason, with a detail filled in: it stays open to show it.
    response = client.post(
        reverse("incident_declare"), {**QUICK, "severity": "", "reported_by": "Support"}
    )
    assert '<details class="card declare-more" id="more-details" open>' in (
        response.content.decode()
    )
    # Refused because of a detail: open, the error next to its field.
    response = client.post(reverse("incident_declare"), {**QUICK, "call_url": "ftp://x"})
    body = response.content.decode()
    assert '<details class="card declare-more" id="more-details" open>' in body
    assert 'id="id_call_url_error"' in body
    # Refused on a quick field only: the details stay folded away.
    response = client.post(reverse("incident_declare"), {**QUICK, "title": ""})
    assert '<details class="card declare-more" id="more-details">' in response.content.decode()


def test_required_fields_are_marked_and_carry_required(client, responder):
    client.force_login(responder)
    body = declare_page(client)
    title = body[
        body.index('<label for="id_title">') : body.index('<input type="text" name="title"')
    ]
    assert '<span class="req" aria-hidden="true">*</span>' in title
    assert "required" in body[body.index('<input type="text" name="title"') :].split(">")[0]
    assert "required" in body[body.index('<select name="severity"') :].split(">")[0]
    criteria = body[body.index('id="id_criteria_group"') :].split("</legend>")[0]
    assert '<span class="req" aria-hidden="true">*</span>' in criteria


def test_a_refused_field_is_marked_invalid_described_by_its_error_and_linked_from_the_summary(
    client, responder
):
    client.force_login(responder)
    response = client.post(reverse("incident_declare"), {**QUICK, "title": "", "criteria": []})
    body = response.content.decode()
    title = body[body.index('<input type="text" name="title"') :].split(">")[0]
    assert 'aria-invalid="true"' in title and 'aria-describedby="id_title_error"' in title
    group = body[body.index('id="id_criteria_group"') :].split(">")[0]
    assert "id_criteria_error" in group
    summary = body[body.index('class="message message-error form-errors"') :].split("</div>")[0]
    assert summary.index('href="#id_title"') < summary.index('href="#id_criteria_0"')

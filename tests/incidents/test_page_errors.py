"""Errors on the incident page read as sentences next to the form or command that caused them,
without internal prefixes (`status:`), and the status forms offer only what the server accepts."""

import pytest
from django.urls import reverse

from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import describe
from incidentdesk.incidents.models import IncidentStatus
from incidentdesk.incidents.services import incident_set_status, role_assign
from incidentdesk.postmortems.models import PostmortemStatus
from incidentdesk.postmortems.services import postmortem_start

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
WEB = ActionSource.WEB


def url(name, incident, *args):
    return reverse(name, args=[incident.reference, *args])


def status_form(body: str, target: str) -> str:
    """The status popover (or button) of `target` in a page or header."""
    marker = "resolve-popover" if target == "resolved" else f"status-{target}"
    start = body.index(f'id="{marker}"')
    return body[start : body.index("</details>", start)]


# The wording itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "sentence"),
    [
        (ValidationError("must be today or later", field="blocked_until"), None),
        (ValidationError("say why work is blocked", field="reason"), "Say why work is blocked."),
        (
            InvalidTransition("cannot go from resolved to identified", field="status"),
            "Status cannot go from resolved to identified.",
        ),
        (
            InvalidTransition("the incident is already identified", field="status"),
            "The incident is already identified.",
        ),
        (ValidationError("is 30 characters long", field="text"), "Command is 30 characters long."),
        (ValidationError("must be a date", field="due_date"), "Due date must be a date."),
        (ValidationError("sign in first"), "Sign in first."),
    ],
)
def test_an_error_reads_as_one_sentence_without_its_field_name_as_a_prefix(error, sentence):
    expected = sentence or "The date work resumes must be today or later."
    assert error.sentence == expected
    assert describe(error) == expected
    assert ":" not in expected.split()[0]


def test_the_api_keeps_the_field_prefix_in_detail():
    error = InvalidTransition("cannot go from resolved to identified", field="status")
    assert error.detail == "status: cannot go from resolved to identified"


def test_at_its_field_an_error_needs_no_subject():
    error = ValidationError("must be today or later", field="blocked_until")
    assert error.sentence_at_field == "Must be today or later."


# The status forms ------------------------------------------------------------------------


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["plain", "htmx"])
def test_blocking_without_a_reason_says_so_at_the_reason_field(client, responder, declare, headers):
    incident = declare()
    client.force_login(responder)
    response = client.post(url("incident_status", incident), {"status": "blocked"}, **headers)
    assert response.status_code == 422
    form = status_form(response.content.decode(), "blocked")
    assert form.split("\n")[0].endswith(" open>")
    assert '<p class="error" id="reason-blocked-error">Say why work is blocked.</p>' in form
    assert 'aria-describedby="reason-blocked-error"' in form
    assert "reason:" not in form
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.INVESTIGATING


def test_a_refused_move_is_a_sentence_at_the_status_buttons_without_a_prefix(
    client, responder, declare
):
    incident = declare()
    client.force_login(responder)
    response = client.post(url("incident_status", incident), {"status": "closed"}, **HTMX)
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#incident-header"
    body = response.content.decode()
    assert "Status cannot go from investigating to closed" in body
    assert "status:" not in body


def test_a_refused_move_without_htmx_is_answered_with_the_page_and_the_sentence(
    client, responder, declare
):
    incident = declare()
    incident_set_status(actor=responder, source=WEB, incident=incident, status="identified")
    client.force_login(responder)
    # A page loaded before the move still offers "Identified".
    response = client.post(url("incident_status", incident), {"status": "identified"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "The incident is already identified." in body
    assert "status:" not in body


def test_the_resume_date_in_the_past_is_refused_at_its_field(client, responder, declare):
    incident = declare()
    incident_set_status(
        actor=responder, source=WEB, incident=incident, status="blocked", reason="vendor"
    )
    role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=responder)
    client.force_login(responder)
    response = client.post(
        url("incident_status", incident),
        {"status": "closed_blocked", "blocked_until": "2001-01-01"},
        **HTMX,
    )
    form = status_form(response.content.decode(), "closed_blocked")
    assert "Must be today or later." in form
    assert 'value="2001-01-01"' in form  # what was typed stays


def test_a_toast_is_a_sentence_without_the_field_name(client, responder, declare):
    incident = declare()
    client.force_login(responder)
    response = client.post(
        url("role_release", incident), {"role": "scribe", "person": responder.username}, **HTMX
    )
    assert response.status_code == 409
    assert response["HX-Retarget"] == "#toast"
    body = response.content.decode()
    assert "Nobody holds" in body
    assert "role:" not in body


# What the close form offers --------------------------------------------------------------


def test_a_severity_requiring_a_postmortem_offers_no_waiver_reason(client, manager, declare):
    incident = declare(severity="critical")
    incident_set_status(actor=manager, source=WEB, incident=incident, status="resolved")
    client.force_login(manager)
    body = client.get(url("incident_detail", incident)).content.decode()
    close = status_form(body, "closed")
    assert "Why no postmortem" not in close
    assert "<form" not in close
    assert "needs its postmortem published before it can be closed" in close
    assert reverse("postmortem_page", args=[incident.reference]) in close


def test_a_severity_without_a_postmortem_offers_the_optional_waiver_reason(
    client, manager, declare
):
    incident = declare(severity="trivial")
    incident_set_status(actor=manager, source=WEB, incident=incident, status="resolved")
    client.force_login(manager)
    close = status_form(client.get(url("incident_detail", incident)).content.decode(), "closed")
    assert "Why no postmortem (optional)" in close
    assert 'name="reason"' in close and " required" not in close
    response = client.post(url("incident_status", incident), {"status": "closed", "reason": ""})
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED


def test_with_the_postmortem_published_close_asks_for_no_reason(client, manager, declare):
    incident = declare(severity="critical")
    incident_set_status(actor=manager, source=WEB, incident=incident, status="resolved")
    postmortem = postmortem_start(actor=manager, source=WEB, incident=incident)
    type(postmortem).objects.filter(pk=postmortem.pk).update(status=PostmortemStatus.PUBLISHED)
    client.force_login(manager)
    body = client.get(url("incident_detail", incident)).content.decode()
    assert 'id="status-closed"' not in body  # a plain button, no popover
    assert "Why no postmortem" not in body
    assert ">Close incident</button>" in body


def test_only_the_lead_or_a_manager_is_offered_closing_a_blocked_incident(
    client, responder, make_user, declare
):
    incident = declare()
    incident_set_status(
        actor=responder, source=WEB, incident=incident, status="blocked", reason="vendor"
    )
    other = make_user(username="otto")
    client.force_login(other)
    assert (
        'id="status-closed_blocked"'
        not in client.get(url("incident_detail", incident)).content.decode()
    )
    role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=other)
    body = client.get(url("incident_detail", incident)).content.decode()
    form = status_form(body, "closed_blocked")
    assert "Why close it now (optional)" in form
    assert 'id="blocked-until-closed_blocked" name="blocked_until" type="date"' in form
    assert " required" in form.split('id="blocked-until-closed_blocked"')[1].split(">")[0]


def test_required_reasons_are_marked_required(client, responder, declare):
    incident = declare()
    client.force_login(responder)
    form = status_form(client.get(url("incident_detail", incident)).content.decode(), "blocked")
    assert 'Why is work blocked? <span class="req" aria-hidden="true">*</span>' in form
    assert 'name="reason" type="text" required' in form


# The command box -------------------------------------------------------------------------


def test_a_refused_command_replies_under_the_box_as_a_sentence(client, responder, declare):
    incident = declare()
    client.force_login(responder)
    response = client.post(url("incident_command", incident), {"text": "status closed"}, **HTMX)
    assert response.status_code == 409
    body = response.content.decode()
    assert 'class="reply reply-error"' in body
    assert "Status cannot go from investigating to closed" in body
    assert "status:" not in body


def test_a_command_naming_an_unknown_person_replies_under_the_box(client, responder, declare):
    incident = declare()
    client.force_login(responder)
    response = client.post(url("incident_command", incident), {"text": "lead nobody"}, **HTMX)
    assert response.status_code == 404
    body = response.content.decode()
    assert 'class="reply reply-error"' in body  # not a toast: the page is still there
    assert "person:" not in body


# Other forms of the page put their errors at their field ---------------------------------


def test_an_action_item_refusal_sits_at_its_form_in_place(client, responder, declare):
    incident = declare()
    client.force_login(responder)
    response = client.post(
        url("action_add", incident), {"title": "", "priority": "low", "phase": "response"}, **HTMX
    )
    assert response.status_code == 422
    assert response["HX-Retarget"] == "#actions"
    assert 'id="actions"' in response.content.decode()
    assert 'class="error"' in response.content.decode()


def test_a_role_given_to_nobody_known_says_so_at_its_row(client, responder, declare):
    incident = declare()
    client.force_login(responder)
    response = client.post(
        url("role_assign", incident), {"role": "scribe", "person": "ghost"}, **HTMX
    )
    assert response["HX-Retarget"] == "#roles"
    body = response.content.decode()
    assert 'id="assign-scribe-error"' in body
    assert "person:" not in body

"""`/incident <title>` on Slack opens the declaration form at once, and its submission declares
through the same service as the web, as the person who ran it, with `source=chat`.

Requests are Slack's real shapes (a slash command's form; a `view_submission` whose
`state.values` is filled in from the modal the stand-in was asked to open), read by the
platform's own `parse`; the Web API is the stand-in (tests/chat/slack_standin.py)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from incidentdesk.chat import handling
from incidentdesk.chat.services import inbound_record
from incidentdesk.incidents.models import (
    Component,
    EntryKind,
    Incident,
    IncidentRole,
    IncidentStatus,
    RoleAssignment,
    TimelineEntry,
)
from tests.chat.slack_fixtures import FORM, form_body, interaction_body
from tests.chat.test_slack_inbound import SUBMISSION

pytestmark = pytest.mark.django_db

TRIGGER = "13345224609.738474920.8088930838d88f008e0"
SLASH = {
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "team_id": "T0000000001",
    "team_domain": "example",
    "channel_id": "C2147483705",
    "channel_name": "general",
    "user_id": "UADA",
    "user_name": "ada",
    "command": "/incident",
    "text": "Checkout fails for EU customers",
    "api_app_id": "A0000000001",
    "response_url": "https://hooks.slack.com/commands/T0000000001/1234/abcd",
    "trigger_id": TRIGGER,
}


def run_slash_command(slack, **fields):
    """Slack's slash command request, parsed, stored and acted on as the worker does."""
    [event] = slack.parse(FORM, form_body(SLASH | fields))
    record, created = inbound_record(event)
    assert created
    handling.handle(record.pk)
    record.refresh_from_db()
    return record


def opened_view(standin) -> dict:
    [call] = standin.calls_to("views.open")
    return call.args["view"]


def block(view: dict, block_id: str) -> dict:
    return next(b for b in view["blocks"] if b["block_id"] == block_id)


def _state(element: dict, answer) -> dict:
    """One input's state in a view_submission, as Slack sends it for `element`'s type."""
    kind = element["type"]
    state: dict = {"type": kind}
    options = {o["value"]: o for o in element.get("options", [])}
    if kind == "plain_text_input":
        state["value"] = answer or None
    elif kind in ("static_select", "radio_buttons"):
        state["selected_option"] = options[answer] if answer else None
    elif kind in ("checkboxes", "multi_static_select"):
        state["selected_options"] = [options[value] for value in answer or []]
    elif kind == "users_select":
        state["selected_user"] = answer or None
    elif kind == "datetimepicker":
        state["selected_date_time"] = int(answer.timestamp()) if answer else None
    else:
        raise AssertionError(f"no state for {kind}")
    return state


def submit(slack, view: dict, *, user="UADA", **answers):
    """Fill the modal `view` in (what is not answered is left as the modal showed it: the
    title and the kind keep their initial values) and submit it as Slack does."""
    values = {}
    for b in view["blocks"]:
        element = b["element"]
        if b["block_id"] in answers:
            answer = answers[b["block_id"]]
        elif "initial_value" in element:
            answer = element["initial_value"]
        elif "initial_option" in element:
            answer = element["initial_option"]["value"]
        else:
            answer = None
        values[b["block_id"]] = {element["action_id"]: _state(element, answer)}
    payload = SUBMISSION | {
        "user": SUBMISSION["user"] | {"id": user},
        "view": SUBMISSION["view"]
        | {
            "callback_id": view["callback_id"],
            "private_metadata": view["private_metadata"],
            "blocks": view["blocks"],
            "state": {"values": values},
        },
    }
    [event] = slack.parse(FORM, interaction_body(payload))
    return handling.submit_form(event)


@pytest.fixture
def mo(standin, manager):
    manager.email = "mo@example.com"
    manager.save()
    standin.add_user("UMO", name="mo", email="mo@example.com")
    return manager


@pytest.fixture
def view(configured, standin, ada):
    run_slash_command(configured)
    return opened_view(standin)


def test_the_slash_command_opens_a_modal_with_the_title_and_no_severity_chosen(
    configured, standin, ada
):
    record = run_slash_command(configured)
    assert record.error == ""
    [call] = standin.calls_to("views.open")
    assert call.args["trigger_id"] == TRIGGER
    view = call.args["view"]
    assert view["type"] == "modal"
    assert block(view, "title")["element"]["initial_value"] == "Checkout fails for EU customers"
    severity = block(view, "severity")
    assert "initial_option" not in severity["element"]
    assert severity["optional"] is False
    assert [o["value"] for o in severity["element"]["options"]] == ["critical", "major", "trivial"]
    assert block(view, "kind")["element"]["initial_option"]["value"] == "live"
    assert block(view, "lead")["element"]["type"] == "users_select"
    assert block(view, "criteria")["element"]["type"] == "checkboxes"
    assert not Incident.objects.exists()


def test_the_modal_offers_the_existing_components(configured, standin, ada):
    api = Component.objects.create(name="API")
    run_slash_command(configured)
    element = block(opened_view(standin), "components")["element"]
    assert element["type"] == "multi_static_select"
    assert [o["value"] for o in element["options"]] == [str(api.pk)]


def test_a_valid_submission_declares_as_the_declarer_with_the_picked_lead(
    configured, standin, ada, mo, view, committed
):
    errors = committed(
        submit,
        configured,
        view,
        severity="major",
        criteria=["immediate_response", "multiple_users"],
        lead="UMO",
        summary="EU card payments fail at the last step",
    )
    assert errors == {}
    incident = Incident.objects.get()
    assert (incident.title, incident.severity.key) == ("Checkout fails for EU customers", "major")
    assert incident.kind == "live" and incident.status == IncidentStatus.INVESTIGATING
    assert incident.criteria == ["immediate_response", "multiple_users"]
    assert incident.summary == "EU card payments fail at the last step"
    holders = {
        a.role: a.user
        for a in RoleAssignment.objects.filter(incident=incident, ended_at__isnull=True)
    }
    assert holders[IncidentRole.REPORTER] == ada
    assert holders[IncidentRole.LEAD] == mo
    declared = TimelineEntry.objects.get(incident=incident, data__event="declared")
    assert (declared.source, declared.author) == ("chat", ada)
    handover = TimelineEntry.objects.get(incident=incident, kind=EntryKind.ROLE_CHANGE)
    assert handover.source == "chat"
    [told] = standin.direct_messages("UADA")
    assert incident.reference in told and f"/incidents/{incident.reference}" in told


def test_a_submission_without_a_criterion_is_refused_on_the_criteria_block(
    configured, standin, ada, view, committed
):
    errors = committed(submit, configured, view, severity="major", criteria=[])
    assert list(errors) == ["criteria"]
    assert "criterion" in errors["criteria"]
    assert not Incident.objects.exists()
    assert standin.direct_messages("UADA") == []


def test_a_retrospective_without_its_times_is_refused_on_the_time_block(
    configured, ada, view, committed
):
    errors = committed(
        submit,
        configured,
        view,
        kind="retrospective",
        severity="trivial",
        criteria=["multiple_users"],
    )
    assert list(errors) == ["started_at"]
    assert not Incident.objects.exists()


def test_a_retrospective_with_its_times_is_declared_resolved(configured, ada, view, committed):
    started = datetime.now(tz=UTC).replace(microsecond=0) - timedelta(days=2)
    errors = committed(
        submit,
        configured,
        view,
        kind="retrospective",
        severity="trivial",
        criteria=["multiple_users"],
        started_at=started,
        resolved_at=started + timedelta(hours=3),
    )
    assert errors == {}
    incident = Incident.objects.get()
    assert incident.status == IncidentStatus.RESOLVED
    assert (incident.started_at, incident.resolved_at) == (started, started + timedelta(hours=3))


def test_a_lead_not_linked_to_an_account_is_refused_on_the_lead_block(
    configured, standin, ada, view, committed
):
    standin.add_user("UEVE", name="eve")  # no email: nothing to link her by
    errors = committed(
        submit, configured, view, severity="major", criteria=["security"], lead="UEVE"
    )
    assert list(errors) == ["lead"]
    assert "not linked" in errors["lead"]
    assert not Incident.objects.exists()


def test_a_severity_left_unchosen_is_refused_on_the_severity_block(
    configured, ada, view, committed
):
    errors = committed(submit, configured, view, criteria=["security"])
    assert list(errors) == ["severity"]
    assert not Incident.objects.exists()


def test_a_restricted_incident_is_declared_restricted_and_not_announced(
    configured, standin, ada, view, committed
):
    errors = committed(
        submit, configured, view, severity="major", criteria=["security"], restricted=["yes"]
    )
    assert errors == {}
    assert Incident.objects.get().restricted
    assert not standin.channels[configured.incidents_channel].messages


def test_an_expired_trigger_tells_the_user_privately_and_is_kept_for_admins(
    configured, standin, ada, committed
):
    standin.fail("views.open", "expired_trigger_id")
    record = committed(run_slash_command, configured)
    assert "expired_trigger_id" in record.error
    [told] = standin.direct_messages("UADA")
    assert "took too long" in told and "run the command again" in told
    assert not Incident.objects.exists()


def test_someone_not_linked_is_told_so_instead_of_getting_the_form(configured, standin, committed):
    standin.add_user("UEVE", name="eve")
    record = committed(run_slash_command, configured, user_id="UEVE")
    assert "not linked" in record.error
    assert standin.calls_to("views.open") == []
    [told] = standin.direct_messages("UEVE")
    assert "not linked" in told


def test_a_declaration_without_a_form_is_declared_at_once(configured, ada, committed):
    # A `declare` with no gesture to open a form with (Matrix's `!incident <title>`).
    [event] = configured.parse(FORM, form_body(SLASH))
    event = replace(event, values={}, conversation="C1")
    record, _ = inbound_record(event)
    committed(handling.handle, record.pk)
    incident = Incident.objects.get()
    assert incident.title == "Checkout fails for EU customers"
    assert incident.severity.key == "trivial"  # the least severe, to be raised by `sev`

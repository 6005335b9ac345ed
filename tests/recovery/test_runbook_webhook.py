"""An automated runbook step calls its webhook (a real HTTP receiver on loopback here), signed
like notification webhooks, and records what comes back; an address inside our own network is
refused unless an admin allows it."""

import json

import pytest

from incidentdesk.core.errors import InvalidTransition
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.recovery.models import RunbookStep, StepState
from incidentdesk.recovery.runbooks import (
    runbook_template_create,
    step_run,
    step_update,
    webhook_secret,
)
from incidentdesk.recovery.tasks import step_call
from tests.notifications.conftest import mail_settings, receiver  # noqa: F401 - fixtures
from tests.recovery.conftest import WEB
from tests.recovery.test_runbook_steps import strike  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db


@pytest.fixture
def automated(strike, admin, billing, receiver):  # noqa: F811 - fixtures imported above
    """Billing's disaster, whose first step calls the receiver's /promote."""
    runbook_template_create(
        actor=admin,
        source=WEB,
        name="Billing failover",
        system=billing,
        steps=[
            {
                "title": "Promote the replica",
                "standard": "restore_data",
                "webhook_url": receiver.url("/promote"),
            },
            {"title": "Invoices add up", "kind": "verification"},
        ],
    )
    receiver.secrets["/promote"] = webhook_secret(billing.pk)
    affected = strike(billing)
    return RunbookStep.objects.get(affected=affected, position=1)


def run(step, actor, capture):
    """Run the step as `actor`; the queue (inline in tests) calls the webhook after commit."""
    with capture(execute=True):
        step_run(actor=actor, source=WEB, step=step)
    step.refresh_from_db()
    return step


def results(step) -> list[TimelineEntry]:
    incident = step.affected.disaster.incident
    return list(TimelineEntry.objects.filter(incident=incident, kind="result"))


def test_a_step_whose_webhook_answers_200_is_done_with_the_answer_as_evidence(
    automated,
    receiver,  # noqa: F811
    responder,
    django_capture_on_commit_callbacks,
):
    step = run(automated, responder, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    assert request["path"] == "/promote" and request["verified"]
    assert request["headers"]["Content-Type"] == "application/json"
    disaster = step.affected.disaster
    assert json.loads(request["body"]) == {
        "disaster": disaster.pk,
        "incident": disaster.incident.reference,
        "drill": False,
        "system": "Billing",
        "step": {"position": 1, "title": "Promote the replica", "standard": "restore_data"},
    }
    assert step.state == StepState.DONE
    assert step.evidence == "webhook answered 200"
    assert step.output.startswith("HTTP 200 OK") and step.output.endswith("ok")
    assert step.started_at <= step.finished_at and step.finished_by is None
    [entry] = results(step)
    assert entry.body == "Billing: step 1 (Promote the replica) done: webhook answered 200"
    assert entry.source == "system" and entry.author is None


def test_a_step_whose_webhook_answers_500_has_failed_and_can_be_run_again(
    automated,
    receiver,  # noqa: F811
    responder,
    django_capture_on_commit_callbacks,
):
    receiver.statuses = [500]
    step = run(automated, responder, django_capture_on_commit_callbacks)
    assert step.state == StepState.FAILED
    assert step.output.startswith("HTTP 500")
    assert results(step)[0].body.endswith("failed: webhook answered 500")
    again = run(step, responder, django_capture_on_commit_callbacks)
    assert again.state == StepState.DONE and len(receiver.requests) == 2
    assert all(r["verified"] for r in receiver.requests)


def test_a_webhook_inside_our_own_network_is_refused_and_the_step_fails(
    automated,
    receiver,  # noqa: F811
    responder,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # an admin withdrew the allowance since
    step = run(automated, responder, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert step.state == StepState.FAILED
    assert step.output.startswith("refused: ") and "loopback" in step.output
    assert "failed: webhook refused" in results(step)[0].body


def test_a_step_under_way_or_done_is_not_run_again(
    automated,
    receiver,  # noqa: F811
    responder,
    django_capture_on_commit_callbacks,
):
    step_run(actor=responder, source=WEB, step=automated)  # its call not made yet
    with pytest.raises(InvalidTransition) as running:
        step_run(actor=responder, source=WEB, step=automated)
    assert running.value.field == "step" and "running" in running.value.message
    step_call(automated.pk)
    with pytest.raises(InvalidTransition) as done:
        step_run(actor=responder, source=WEB, step=automated)
    assert "done" in done.value.message
    assert len(receiver.requests) == 1


def test_an_answer_that_comes_after_the_step_was_done_by_hand_changes_nothing(
    automated,
    receiver,  # noqa: F811
    responder,
):
    step_run(actor=responder, source=WEB, step=automated)  # its call not made yet
    step_update(
        actor=responder,
        source=WEB,
        step=automated,
        state="done",
        evidence="Promoted from the console",
        manual_reason="The hook's host is the one that burned",
    )
    assert step_call(automated.pk) is None
    automated.refresh_from_db()
    assert receiver.requests == []
    assert automated.state == StepState.DONE and automated.evidence == "Promoted from the console"

"""The queue's part of runbooks: calling an automated step's webhook and recording its answer.

The call is a POST of JSON signed like notification webhooks (the X-IncidentDesk-Signature
header, HMAC-SHA256 with the system's runbook key, `runbooks.webhook_secret`), through the same
outbound guard (a host resolving to a private, loopback or other non-public address is refused
unless INCIDENTDESK_WEBHOOKS_ALLOW_PRIVATE) and the same pinned connection, redirects not
followed, the wait bounded by WEBHOOK_TIMEOUT_SECONDS. A 2xx answer makes the step done; any
other answer, no answer or a refusal makes it failed. Either way the answer goes into the step's
output and onto the timeline. A call is made once: a step that failed is run again by a person.
"""

import json
import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from huey.contrib.djhuey import db_task

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import safe_text
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.channels.posting import UNANSWERED, Poster, unanswered
from incidentdesk.notifications.channels.webhook import signature_header
from incidentdesk.recovery.models import RunbookStep, StepState

logger = logging.getLogger(__name__)

USER_AGENT = "IncidentDesk-Runbooks/1"
# How much of the receiver's answer the step keeps as its output.
EXCERPT_MAX = 2000


def webhook_secret(system_id: int) -> str:
    """The key the receiver of a system's automated runbook steps checks our signature with
    (hex): derived from SECRET_KEY and the system, never stored."""
    return salted_hmac("incidentdesk.recovery.runbook-webhook", str(system_id)).hexdigest()


def step_entry(step: RunbookStep, *, actor, source: ActionSource, kind: str, words: str) -> None:
    """The timeline entry of something that happened to a step: "Billing: step 2 (Restore the
    data …) done: …" (runbooks.py records people's changes through it, this module the
    webhook's answers)."""
    system = step.affected.system.name
    record_entry(
        incident=step.affected.disaster.incident,
        kind=kind,
        body=f"{system}: step {step.position} ({step.title}) {words}",
        actor=actor,
        source=source,
        data={
            "disaster": step.affected.disaster_id,
            "system": system,
            "step": step.position,
            "state": step.state,
        },
    )


def step_call_body(step: RunbookStep) -> bytes:
    disaster = step.affected.disaster
    body = {
        "disaster": disaster.pk,
        "incident": disaster.incident.reference,
        "drill": disaster.drill,
        "system": step.affected.system.name,
        "step": {"position": step.position, "title": step.title, "standard": step.standard},
    }
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


def _call(step: RunbookStep) -> tuple[bool, str, str]:
    """POST to the step's webhook: (answered 2xx, the evidence words, the output kept)."""
    body = step_call_body(step)
    started = int(step.started_at.timestamp()) if step.started_at else 0
    poster = Poster(settings.WEBHOOK_TIMEOUT_SECONDS)
    try:
        target = poster.target(step.webhook_url)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "X-IncidentDesk-Delivery": f"runbook-step-{step.pk}-{started}",
            "X-IncidentDesk-Signature": signature_header(
                webhook_secret(step.affected.system_id), body
            ),
        }
        answer = poster.post(target, body, headers)
    except ValidationError as exc:
        return False, f"webhook refused: {exc.message}", f"refused: {exc.message}"
    except UNANSWERED as exc:
        why = unanswered(exc, poster.timeout)
        return False, f"webhook did not answer: {why}", f"no answer: {why}"
    finally:
        poster.close()
    status = f"HTTP {answer.status} {answer.reason}".strip()
    excerpt = safe_text(answer.body.decode("utf-8", "replace"))[:EXCERPT_MAX]
    output = f"{status}\n\n{excerpt}" if excerpt.strip() else status
    return answer.ok, f"webhook answered {answer.status}", output


def step_call(step_id: int) -> str | None:
    """Call a running automated step's webhook and record what came back. Returns the step's
    new state, or None when there was nothing to do (the step is gone, no longer running, or
    was started again meanwhile: that run records its own answer)."""
    step = (
        RunbookStep.objects.select_related("affected__system", "affected__disaster__incident")
        .filter(pk=step_id, state=StepState.RUNNING)
        .first()
    )
    if step is None or not step.automated:
        return None
    ok, evidence, output = _call(step)
    with transaction.atomic():
        current = (
            RunbookStep.objects.select_for_update()
            .filter(pk=step.pk, state=StepState.RUNNING, started_at=step.started_at)
            .first()
        )
        if current is None:
            return None
        step.state = StepState.DONE if ok else StepState.FAILED
        step.finished_at, step.finished_by = timezone.now(), None
        step.evidence, step.output = evidence, output
        step.save(update_fields=["state", "finished_at", "finished_by", "evidence", "output"])
        step_entry(
            step,
            actor=None,
            source=ActionSource.SYSTEM,
            kind=EntryKind.RESULT,
            words=f"{StepState(step.state).label.lower()}: {evidence}",
        )
    return step.state


@db_task(priority=30)
def runbook_step_call(step_id: int) -> None:
    """Queued by `runbooks.step_run` once the step is running."""
    step_call(step_id)


def queue_step_call(step_id: int) -> None:
    """Once the transaction commits, queue the call of the step's webhook."""

    def queue() -> None:
        try:
            runbook_step_call(step_id)
        except Exception:  # the queue's failure must not fail a committed change
            logger.exception("could not queue the webhook call of runbook step %s", step_id)

    transaction.on_commit(queue)

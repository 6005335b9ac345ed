"""Runbooks as data: the checklists admins define (templates, for one system or for any), the
copy each affected system gets when it joins a disaster, and the work on its steps (owner,
state, times, evidence), up to the verification gate that `restored` waits for.

A template is a list of steps, each a recovery step or a verification step (a test that must
pass before the system serves users again); a step may name one of the four standard recovery
steps, an owner, and a webhook (an automated step: `step_run` calls it through the queue, see
tasks.py, and records what it answers). A system without a runbook of its own gets the built-in
one: the four standard steps and one verification step.
"""

import contextlib

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import person_lookup
from incidentdesk.core.checks import check_link_url, check_text
from incidentdesk.core.errors import InvalidTransition, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.permissions import can_see
from incidentdesk.notifications.addresses import Unresolvable, resolve_webhook
from incidentdesk.recovery.models import (
    AffectedSystem,
    RunbookStep,
    RunbookTemplate,
    StandardStep,
    StepKind,
    StepState,
    TemplateStep,
)
from incidentdesk.recovery.systems import UNSET, system_lookup
from incidentdesk.recovery.tasks import queue_step_call, step_entry, webhook_secret

__all__ = ["webhook_secret"]  # the key a system's automated steps are signed with

STANDARD_STEPS: tuple[tuple[str, str], ...] = tuple(
    (StandardStep(value).value, StandardStep(value).label) for value in StandardStep.values
)
DEFAULT_VERIFICATION = "Run the tests that must pass before the system serves users again"

NAME_MAX = 100
DESCRIPTION_MAX = 2000
TITLE_MAX = 200
MAX_STEPS = 50
EVIDENCE_MAX = 5000
OUTPUT_MAX = 20_000
REASON_MAX = 2000
# How much of a note the timeline entry of a step quotes.
QUOTE_MAX = 300

FINISHED = (StepState.DONE, StepState.FAILED, StepState.SKIPPED)


def default_steps() -> list[dict]:
    """The built-in runbook: the four standard recovery steps, then one verification step."""
    steps = [
        {"title": title, "kind": StepKind.RECOVERY, "standard": standard}
        for standard, title in STANDARD_STEPS
    ]
    return steps + [{"title": DEFAULT_VERIFICATION, "kind": StepKind.VERIFICATION}]


# -- templates ---------------------------------------------------------------------------------


def _webhook_url(value, *, field: str) -> str:
    """A step's webhook: https (or http when INCIDENTDESK_WEBHOOKS_ALLOW_HTTP), no credentials,
    not resolving to a private or loopback address (unless allowed). A host that does not
    resolve now is kept: the outbound guard checks it again on every run."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str):
        raise ValidationError("must be a text URL", field=field)
    value = check_text(value, field=field, max_length=500)
    if not value:
        return ""
    with contextlib.suppress(Unresolvable):
        resolve_webhook(value, field=field)
    return value


def _template_step(raw, index: int) -> dict:
    where = f"steps[{index}]"
    if not isinstance(raw, dict):
        raise ValidationError("give a step as an object with a title", field=where)
    kind = raw.get("kind") or StepKind.RECOVERY
    if kind not in StepKind.values:
        raise ValidationError(f"one of {', '.join(StepKind.values)}", field=f"{where}.kind")
    standard = raw.get("standard") or ""
    if standard and standard not in StandardStep.values:
        choices = ", ".join(StandardStep.values)
        raise ValidationError(f"one of {choices}, or empty", field=f"{where}.standard")
    if standard and kind != StepKind.RECOVERY:
        raise ValidationError("a standard step is a recovery step", field=f"{where}.standard")
    owner = raw.get("owner")
    if owner not in (None, ""):
        try:
            owner = person_lookup(owner, field="owner")
        except ValidationError as exc:
            raise ValidationError(exc.message, field=f"{where}.owner") from None
    else:
        owner = None
    return {
        "title": check_text(
            raw.get("title"), field=f"{where}.title", max_length=TITLE_MAX, required=True
        ),
        "kind": kind,
        "standard": standard,
        "owner": owner,
        "webhook_url": _webhook_url(raw.get("webhook_url"), field=f"{where}.webhook_url"),
    }


def _template_steps(value) -> list[dict]:
    """The steps given, checked; None gives the built-in runbook."""
    if value is None:
        return [_template_step(raw, i) for i, raw in enumerate(default_steps())]
    if isinstance(value, str | bytes | dict) or not isinstance(value, list | tuple):
        raise ValidationError("give a list of steps", field="steps")
    if not value:
        raise ValidationError("a runbook needs at least one step", field="steps")
    if len(value) > MAX_STEPS:
        raise ValidationError(f"at most {MAX_STEPS} steps", field="steps")
    steps = [_template_step(raw, index) for index, raw in enumerate(value)]
    if not any(step["kind"] == StepKind.VERIFICATION for step in steps):
        raise ValidationError(
            "a runbook needs at least one verification step (a test to pass before the system "
            "is restored)",
            field="steps",
        )
    return steps


def _template_name(value, *, template: RunbookTemplate | None) -> str:
    name = check_text(value, field="name", max_length=NAME_MAX, required=True)
    taken = RunbookTemplate.objects.filter(name__iexact=name)
    if template is not None:
        taken = taken.exclude(pk=template.pk)
    if taken.exists():
        raise ValidationError(f"a runbook named {name!r} exists", field="name")
    return name


def _template_system(value):
    return None if value in (None, "") else system_lookup(value)


def _write_steps(template: RunbookTemplate, steps: list[dict]) -> None:
    template.steps.all().delete()
    TemplateStep.objects.bulk_create(
        TemplateStep(template=template, position=position, **step)
        for position, step in enumerate(steps, start=1)
    )


def runbook_template_create(
    *,
    actor: User,
    source: ActionSource,
    name: str,
    system=None,
    description: str = "",
    steps: list[dict] | None = None,
) -> RunbookTemplate:
    """A runbook for one system (its disasters copy it) or, without a system, a template for
    any. Without steps it starts from the built-in runbook."""
    require(actor, Perm.RECOVERY_MANAGE)
    description = check_text(description, field="description", max_length=DESCRIPTION_MAX)
    checked = _template_steps(steps)
    with transaction.atomic():
        template = RunbookTemplate.objects.create(
            name=_template_name(name, template=None),
            system=_template_system(system),
            description=description,
            created_by=actor,
        )
        _write_steps(template, checked)
    return template


def runbook_template_update(
    *,
    actor: User,
    source: ActionSource,
    template: RunbookTemplate,
    name: str = UNSET,
    description: str = UNSET,
    system=UNSET,
    steps=UNSET,
) -> RunbookTemplate:
    """Change what is given; `steps` replaces the whole list. Disasters already declared keep
    the copy they made."""
    require(actor, Perm.RECOVERY_MANAGE)
    checked = _template_steps(steps) if steps is not UNSET else None
    with transaction.atomic():
        found = RunbookTemplate.objects.select_for_update().filter(pk=template.pk).first()
        if found is None:
            raise NotFound("there is no such runbook", field="runbook")
        template = found
        if name is not UNSET:
            template.name = _template_name(name, template=template)
        if description is not UNSET:
            template.description = check_text(
                description, field="description", max_length=DESCRIPTION_MAX
            )
        if system is not UNSET:
            template.system = _template_system(system)
        template.save()
        if checked is not None:
            _write_steps(template, checked)
    return template


def runbook_template_delete(
    *, actor: User, source: ActionSource, template: RunbookTemplate
) -> None:
    """Remove a runbook; the disasters that copied it keep their steps."""
    require(actor, Perm.RECOVERY_MANAGE)
    with transaction.atomic():
        deleted, _ = RunbookTemplate.objects.filter(pk=template.pk).delete()
        if not deleted:
            raise NotFound("there is no such runbook", field="runbook")


def runbook_of(system) -> RunbookTemplate | None:
    """The runbook a system's disasters copy: the first of its own by name, or None."""
    return RunbookTemplate.objects.filter(system=system).order_by("name", "pk").first()


def runbook_instantiate(affected: AffectedSystem) -> list[RunbookStep]:
    """Copy the system's runbook (else the built-in one) into the affected system's steps,
    numbered from 1. Called inside the caller's transaction; checks nothing, writes nothing
    else."""
    template = runbook_of(affected.system_id)
    source: list[dict] = default_steps()
    if template is not None:
        fields = ("title", "kind", "standard", "owner_id", "webhook_url")
        source = [dict(row) for row in template.steps.values(*fields)]
    return RunbookStep.objects.bulk_create(
        RunbookStep(affected=affected, position=position, **step)
        for position, step in enumerate(source, start=1)
    )


# -- steps ---------------------------------------------------------------------------------------


def _step_for(actor, step: RunbookStep, *, lock: bool = True) -> RunbookStep:
    """The step again (locked), with its system, disaster and incident, once `actor` may write
    on the incident's timeline and can see it (NotFound otherwise)."""
    require(actor, Perm.TIMELINE_WRITE)
    rows = RunbookStep.objects.select_related(
        "affected__system", "affected__disaster__incident", "owner"
    )
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=getattr(step, "pk", step)).first()
    if found is None or not can_see(actor, found.affected.disaster.incident):
        raise NotFound("there is no such runbook step", field="step")
    return found


def _quote(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def step_update(
    *,
    actor: User,
    source: ActionSource,
    step: RunbookStep,
    state: str,
    evidence: str = "",
    evidence_url: str = "",
    output: str = "",
    manual_reason: str = "",
) -> RunbookStep:
    """Move a step to `state`, with what it rests on. `done` needs evidence (a note, a link or
    an output); `skipped` needs the same as its why, and a verification step cannot be skipped;
    an automated step marked done by hand says why it was done by hand. Evidence given replaces
    what the step held."""
    if state not in StepState.values:
        raise ValidationError(f"one of {', '.join(StepState.values)}", field="state")
    evidence = check_text(evidence, field="evidence", max_length=EVIDENCE_MAX)
    evidence_url = check_link_url(evidence_url, "evidence_url")
    output = check_text(output, field="output", max_length=OUTPUT_MAX)
    manual_reason = check_text(manual_reason, field="manual_reason", max_length=REASON_MAX)
    given = bool(evidence or evidence_url or output)
    with transaction.atomic():
        step = _step_for(actor, step)
        if state == StepState.SKIPPED and step.kind == StepKind.VERIFICATION:
            raise ValidationError(
                "a verification step cannot be skipped: it is what restored waits for",
                field="state",
            )
        if state in (StepState.DONE, StepState.SKIPPED) and not given:
            why = "what was done and seen" if state == StepState.DONE else "why it is skipped"
            raise ValidationError(f"say {why} (a note, a link or an output)", field="evidence")
        if state == StepState.DONE and step.automated and not manual_reason:
            raise ValidationError(
                "this step is automated: say why it was done by hand", field="manual_reason"
            )
        now = timezone.now()
        step.state = state
        if state == StepState.PENDING:
            step.started_at = step.finished_at = step.finished_by = None
        elif state == StepState.RUNNING:
            step.started_at, step.finished_at, step.finished_by = now, None, None
        else:
            step.started_at = step.started_at or now
            step.finished_at, step.finished_by = now, actor
        if evidence:
            step.evidence = evidence
        if evidence_url:
            step.evidence_url = evidence_url
        if output:
            step.output = output
        if manual_reason:
            step.manual_reason = manual_reason
        step.save()
        words = StepState(state).label.lower() if state != StepState.RUNNING else "started"
        if state == StepState.PENDING:
            words = "back to do"
        details = [_quote(evidence)] if evidence else []
        if evidence_url:
            details.append(f"Evidence: {evidence_url}")
        if manual_reason:
            details.append(f"Done by hand: {_quote(manual_reason)}")
        body = f"{words}: {' '.join(details)}" if details else words
        kind = EntryKind.RESULT if state in FINISHED else EntryKind.ACTION
        step_entry(step, actor=actor, source=source, kind=kind, words=body)
    return step


def step_assign(*, actor: User, source: ActionSource, step: RunbookStep, owner) -> RunbookStep:
    """Give the step to `owner` (a User, id or username; None or "" for nobody), who must be
    able to see the incident."""
    with transaction.atomic():
        step = _step_for(actor, step)
        person = None if owner in (None, "") else person_lookup(owner, field="owner")
        incident = step.affected.disaster.incident
        if person is not None and not can_see(person, incident):
            raise ValidationError(
                f"{person.username} cannot see {incident.reference}", field="owner"
            )
        step.owner = person
        step.save(update_fields=["owner"])
        words = f"is now {person.username}'s" if person else "has no owner now"
        step_entry(step, actor=actor, source=source, kind=EntryKind.ACTION, words=words)
    return step


def step_run(*, actor: User, source: ActionSource, step: RunbookStep) -> RunbookStep:
    """Start an automated step: it is running now, and once this commits the queue calls its
    webhook (tasks.runbook_step_call), which records the answer."""
    with transaction.atomic():
        step = _step_for(actor, step)
        if not step.automated:
            raise InvalidTransition(
                f"step {step.position} has no webhook to call: mark it done by hand",
                field="step",
            )
        if step.state in (StepState.RUNNING, StepState.DONE):
            raise InvalidTransition(f"step {step.position} is already {step.state}", field="step")
        step.state = StepState.RUNNING
        step.started_at, step.finished_at, step.finished_by = timezone.now(), None, None
        step.output = ""
        step.save()
        words = "started: calling its webhook"
        step_entry(step, actor=actor, source=source, kind=EntryKind.ACTION, words=words)
        queue_step_call(step.pk)
    return step


# -- reads -----------------------------------------------------------------------------------------


def _has_evidence(step: RunbookStep) -> bool:
    return bool(step.evidence or step.evidence_url or step.output)


def gate_missing(affected: AffectedSystem) -> list[RunbookStep]:
    """The verification steps not yet done with evidence: what `restored` waits for."""
    steps = RunbookStep.objects.filter(affected=affected, kind=StepKind.VERIFICATION)
    return [s for s in steps if not (s.state == StepState.DONE and _has_evidence(s))]


def runbook_progress(affected: AffectedSystem) -> dict:
    """How far the runbook is: steps settled (done, or skipped with a why) of all, and the
    verification steps done of theirs."""
    steps = list(RunbookStep.objects.filter(affected=affected).values_list("kind", "state"))
    checks = [state for kind, state in steps if kind == StepKind.VERIFICATION]
    return {
        "done": sum(state in (StepState.DONE, StepState.SKIPPED) for _, state in steps),
        "total": len(steps),
        "verification_done": sum(state == StepState.DONE for state in checks),
        "verification_total": len(checks),
    }

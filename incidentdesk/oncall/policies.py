"""Escalation policies: who is notified, in which order, and how long each step waits for an
acknowledgement before the next. Managers and admins write them (Perm.SCHEDULE_MANAGE, as for
schedules); bad input is refused naming the field (`steps[2].person`), and nothing is stored.

A step notifies a person, whoever is on call in a schedule, everyone in a schedule's layers, or
hands over to another policy (whose steps then run in its place). A policy that would reach
itself through handovers is refused. Pages copy the steps when they are made (`plan_of`), so
editing a policy never moves a page that is already escalating."""

from typing import Any

from django.db import transaction
from django.db.models import ProtectedError

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import person_lookup
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.oncall.models import EscalationPolicy, EscalationStep, Schedule, StepTarget
from incidentdesk.oncall.services import _name

MAX_STEPS = 20
MAX_WAIT = 1440  # minutes: a day
MAX_REPEAT = 9
MAX_HANDOVERS = 10  # how deep handovers may nest
DESCRIPTION_MAX = 2000


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave as it is" for policy_update


def _whole(value, *, field: str, low: int, high: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValidationError(f"a whole number from {low} to {high}", field=field)
    return value


def _schedule(value, *, field: str) -> Schedule:
    """A schedule, given as one, its id or its name."""
    if isinstance(value, Schedule):
        found = Schedule.objects.filter(pk=value.pk).first()
    elif isinstance(value, int) and not isinstance(value, bool):
        found = Schedule.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        found = Schedule.objects.filter(name=value.strip()).first()
    else:
        found = None
    if found is None:
        raise ValidationError(f"no such schedule: {value!r}", field=field)
    return found


def policy_lookup(value, *, field: str = "policy") -> EscalationPolicy:
    """A policy, given as one, its id or its name; refused naming `field` when there is none."""
    if isinstance(value, EscalationPolicy):
        found = EscalationPolicy.objects.filter(pk=value.pk).first()
    elif isinstance(value, int) and not isinstance(value, bool):
        found = EscalationPolicy.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        text = value.strip()
        found = EscalationPolicy.objects.filter(name=text).first()
        if found is None and text.isdigit():
            found = EscalationPolicy.objects.filter(pk=int(text)).first()
    else:
        found = None
    if found is None:
        raise ValidationError(f"no such escalation policy: {value!r}", field=field)
    return found


def _step(raw, index: int) -> dict:
    """One step as given, checked: {"target", "user"?, "schedule"?, "handover"?,
    "wait_minutes"} with the objects it names."""
    where = f"steps[{index}]"
    if not isinstance(raw, dict):
        raise ValidationError("give a target and what it names", field=where)
    target = raw.get("target")
    if target not in StepTarget.values:
        raise ValidationError(f"one of {', '.join(StepTarget.values)}", field=f"{where}.target")
    wait = raw.get("wait_minutes", 5)
    step = {
        "target": target,
        "wait_minutes": _whole(wait, field=f"{where}.wait_minutes", low=0, high=MAX_WAIT),
    }
    if target == StepTarget.PERSON:
        step["user"] = person_lookup(raw.get("person"), field=f"{where}.person")
    elif target in (StepTarget.SCHEDULE, StepTarget.SCHEDULE_ALL):
        step["schedule"] = _schedule(raw.get("schedule"), field=f"{where}.schedule")
    else:
        step["handover"] = policy_lookup(raw.get("policy"), field=f"{where}.policy")
    return step


def _steps(value) -> list[dict]:
    if not isinstance(value, list | tuple) or not value:
        raise ValidationError("a policy needs at least one step", field="steps")
    if len(value) > MAX_STEPS:
        raise ValidationError(f"at most {MAX_STEPS} steps", field="steps")
    return [_step(raw, index) for index, raw in enumerate(value)]


def _handovers(policy_id: int) -> list[int]:
    return list(
        EscalationStep.objects.filter(policy_id=policy_id, handover__isnull=False).values_list(
            "handover_id", flat=True
        )
    )


def _check_no_loop(policy: EscalationPolicy | None, steps: list[dict]) -> None:
    """Refuse a handover that leads back to `policy`, or nests deeper than MAX_HANDOVERS."""
    for index, step in enumerate(steps):
        if step["target"] != StepTarget.POLICY:
            continue
        field = f"steps[{index}].policy"
        start = step["handover"].pk
        frontier, depth = [start], 1
        while frontier:
            if policy is not None and policy.pk in frontier:
                raise ValidationError(
                    f"handing over to {step['handover'].name} leads back to this policy",
                    field=field,
                )
            if depth > MAX_HANDOVERS:
                raise ValidationError(f"handovers nest more than {MAX_HANDOVERS} deep", field=field)
            frontier = [nxt for pk in frontier for nxt in _handovers(pk)]
            depth += 1


def _write_steps(policy: EscalationPolicy, steps: list[dict]) -> None:
    policy.steps.all().delete()
    EscalationStep.objects.bulk_create(
        EscalationStep(
            policy=policy,
            position=position,
            target=step["target"],
            user=step.get("user"),
            schedule=step.get("schedule"),
            handover=step.get("handover"),
            wait_minutes=step["wait_minutes"],
        )
        for position, step in enumerate(steps, start=1)
    )


def _take_default(policy: EscalationPolicy) -> None:
    """`policy` becomes the default: any other default stops being one."""
    EscalationPolicy.objects.filter(is_default=True).exclude(pk=policy.pk).update(is_default=False)


def _description(value) -> str:
    value = refuse_unsafe_characters(value or "", field="description")
    if len(value) > DESCRIPTION_MAX:
        raise ValidationError(f"at most {DESCRIPTION_MAX} characters", field="description")
    return value


def policy_create(
    *,
    actor: User,
    source: ActionSource,
    name: str,
    description: str = "",
    repeat: int = 0,
    is_default: bool = False,
    steps: list[dict],
) -> EscalationPolicy:
    """A new policy with its steps (see `_step` for their shape). With `is_default` it becomes
    the one default policy (the previous default stops being it)."""
    require(actor, Perm.SCHEDULE_MANAGE)
    name = _name(name, field="name")
    description = _description(description)
    repeat = _whole(repeat, field="repeat", low=0, high=MAX_REPEAT)
    cleaned = _steps(steps)
    _check_no_loop(None, cleaned)
    with transaction.atomic():
        if EscalationPolicy.objects.filter(name=name).exists():
            raise ValidationError(f"a policy named {name!r} exists", field="name")
        if is_default:
            EscalationPolicy.objects.filter(is_default=True).update(is_default=False)
        policy = EscalationPolicy.objects.create(
            name=name,
            description=description,
            repeat=repeat,
            is_default=bool(is_default),
            created_by=actor,
        )
        _write_steps(policy, cleaned)
    return policy


def policy_update(
    *,
    actor: User,
    source: ActionSource,
    policy: EscalationPolicy,
    name: str = UNSET,
    description: str = UNSET,
    repeat: int = UNSET,
    is_default: bool = UNSET,
    steps: list[dict] = UNSET,
) -> EscalationPolicy:
    """Change what is given; `steps` replaces every step. Pages already escalating keep the
    steps they were made with."""
    require(actor, Perm.SCHEDULE_MANAGE)
    with transaction.atomic():
        policy = EscalationPolicy.objects.select_for_update().get(pk=policy.pk)
        if name is not UNSET:
            name = _name(name, field="name")
            if EscalationPolicy.objects.filter(name=name).exclude(pk=policy.pk).exists():
                raise ValidationError(f"a policy named {name!r} exists", field="name")
            policy.name = name
        if description is not UNSET:
            policy.description = _description(description)
        if repeat is not UNSET:
            policy.repeat = _whole(repeat, field="repeat", low=0, high=MAX_REPEAT)
        if steps is not UNSET:
            cleaned = _steps(steps)
            _check_no_loop(policy, cleaned)
            _write_steps(policy, cleaned)
        if is_default is not UNSET:
            if is_default:
                _take_default(policy)
            policy.is_default = bool(is_default)
        policy.save()
    return policy


def policy_delete(*, actor: User, source: ActionSource, policy: EscalationPolicy) -> None:
    """Delete a policy no route and no other policy uses (refused naming `policy` otherwise).
    Pages it made keep their steps and go on escalating."""
    require(actor, Perm.SCHEDULE_MANAGE)
    users = [
        step.policy.name
        for step in EscalationStep.objects.filter(handover=policy)
        .exclude(policy=policy)
        .select_related("policy")
    ]
    if users:
        raise InvalidTransition(
            f"the policy {', '.join(sorted(users))} hands over to it; change that first",
            field="policy",
        )
    try:
        with transaction.atomic():
            EscalationPolicy.objects.filter(pk=policy.pk).delete()
    except ProtectedError as exc:
        names = sorted({str(obj) for obj in exc.protected_objects})
        kinds = sorted({str(obj._meta.verbose_name) for obj in exc.protected_objects})
        raise InvalidTransition(
            f"{' and '.join(kinds)} {', '.join(names)} use it; change that first",
            field="policy",
        ) from None


def default_policy() -> EscalationPolicy | None:
    return EscalationPolicy.objects.filter(is_default=True).first()


def plan_of(policy: EscalationPolicy) -> list[dict]:
    """The policy's steps as a page keeps them: handovers replaced by the steps of the policy
    they hand over to, each step `{"target", "user"?, "schedule"?, "name", "wait_minutes"}`."""
    return _expand(policy, depth=0)


def _expand(policy: EscalationPolicy, *, depth: int) -> list[dict]:
    plan: list[dict] = []
    steps = policy.steps.select_related("user", "schedule", "handover").order_by("position")
    for step in steps:
        if step.target == StepTarget.POLICY:
            if step.handover is not None and depth < MAX_HANDOVERS:
                plan += _expand(step.handover, depth=depth + 1)
            continue
        entry: dict = {"target": step.target, "wait_minutes": step.wait_minutes}
        if step.target == StepTarget.PERSON and step.user is not None:
            entry |= {"user": step.user_id, "name": step.user.username}
        elif step.schedule is not None:
            entry |= {"schedule": step.schedule_id, "name": step.schedule.name}
        else:
            continue  # a step without its target (only the schema allows one)
        plan.append(entry)
    return plan

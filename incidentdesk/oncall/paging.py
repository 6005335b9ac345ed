"""Pages: asking someone to respond (`page_create`), acknowledging (`page_acknowledge`,
`incident_pages_acknowledge`) and cancelling (`page_cancel`).

A page keeps its plan (the steps of its policy as they were when it was made, handovers
expanded) and its escalation state in the database; escalation.py runs its steps, the first
one inside `page_create`'s transaction, so its notifications leave as soon as it commits, and
each later one when it comes due (`escalations_advance`, run by the queue: a one-off task for
each step's due time, and a task every minute in case the queue lost one). Acknowledging stops
the escalation; a page about an incident acknowledges the incident too.
"""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm, require, require_or_system
from incidentdesk.accounts.services import person_lookup
from incidentdesk.core.checks import check_link_url, check_text
from incidentdesk.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services import incident_acknowledge
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.oncall import escalation
from incidentdesk.oncall.escalation import (  # noqa: F401 - the paging API, named here
    EXHAUSTED_TOPIC,
    NOTIFY_TOPIC,
    ack_link_reader,
    ack_url,
    run_step,
)
from incidentdesk.oncall.models import EscalationPolicy, Page, PageStatus, StepTarget
from incidentdesk.oncall.policies import _schedule, default_policy, plan_of, policy_lookup

logger = logging.getLogger(__name__)

# How long a page of one person or one schedule waits for an acknowledgement before it is
# counted as unanswered.
SINGLE_STEP_WAIT = 15
SUMMARY_MAX = 300
MESSAGE_MAX = 5000
WAITING = (PageStatus.OPEN, PageStatus.EXHAUSTED)  # not yet acknowledged nor cancelled


def queue_escalation(when: datetime) -> None:
    """After commit, queue an escalation run for `when` (the minute tick covers a lost one)."""

    def queue() -> None:
        from incidentdesk.oncall.tasks import escalate

        try:
            escalate.schedule(eta=when)
        except Exception:  # the queue's failure must not fail a committed step
            logger.exception("could not queue the escalation due at %s; the tick will", when)

    transaction.on_commit(queue)


def escalations_advance(*, now: datetime | None = None) -> int:
    """Run every due step of every escalating page, one step per transaction (see
    escalation.escalations_advance); each next step is queued for its due time."""
    return escalation.escalations_advance(now=now, queue=queue_escalation)


# -- who may ----------------------------------------------------------------------------------


def _check_may_page(actor, source, incident: Incident | None) -> None:
    require_or_system(actor, source, Perm.INCIDENT_DECLARE)
    if incident is not None and actor is not None and not can_see(actor, incident):
        raise NotFound("there is no such incident", field="incident")


def was_notified(user, page: Page) -> bool:
    return bool(getattr(user, "pk", None)) and page.notices.filter(user_id=user.pk).exists()


def _check_may_acknowledge(actor, page: Page) -> bool:
    """Someone the page notified may acknowledge it, whatever their role; otherwise whoever may
    update incidents (and can see the page's incident). Returns whether `actor` was paged."""
    # Signed in, active, and not through a read-only token, whoever they are.
    require(actor, Perm.CONTACT_OWN)
    if was_notified(actor, page):
        return True
    if page.incident is not None and not can_see(actor, page.incident):
        raise NotFound("there is no such page", field="page")
    if not has_perm(actor, Perm.INCIDENT_UPDATE):
        raise PermissionDenied("only someone it paged or a responder may acknowledge a page")
    return False


# -- making a page ----------------------------------------------------------------------------


def _plan(person, schedule, policy) -> tuple[list[dict], int, EscalationPolicy | None]:
    """(plan, repeat, policy) for the target named (at most one)."""
    named = [v for v in (person, schedule, policy) if v not in (None, "")]
    if len(named) > 1:
        raise ValidationError("name a person, a schedule or a policy, not several", field="target")
    if person not in (None, ""):
        user = person_lookup(person, field="person")
        step = {"target": StepTarget.PERSON, "user": user.pk, "name": user.username}
        return [step | {"wait_minutes": SINGLE_STEP_WAIT}], 0, None
    if schedule not in (None, ""):
        found = _schedule(schedule, field="schedule")
        step = {"target": StepTarget.SCHEDULE, "schedule": found.pk, "name": found.name}
        return [step | {"wait_minutes": SINGLE_STEP_WAIT}], 0, None
    chosen = policy_lookup(policy) if policy not in (None, "") else default_policy()
    if chosen is None:
        raise ValidationError(
            "there is no default escalation policy; name a person, a schedule or a policy",
            field="target",
        )
    plan = plan_of(chosen)
    if not plan:
        raise ValidationError(f"the policy {chosen.name} notifies nobody", field="policy")
    return plan, chosen.repeat, chosen


def _target_words(page: Page) -> str:
    if page.policy is not None:
        return f"the escalation policy {page.policy.name}"
    step = page.plan[0]
    if step["target"] == StepTarget.PERSON:
        return step.get("name") or "a person"
    return f"the on-call of {step.get('name') or 'a schedule'}"


def page_create(
    *,
    actor: User | None,
    source: ActionSource,
    incident: Incident | None = None,
    person=None,
    schedule=None,
    policy=None,
    summary: str = "",
    message: str = "",
    link: str = "",
) -> Page:
    """Page a person, whoever is on call in a schedule, or by an escalation policy (none named:
    the default policy). The first step runs in this transaction, so its notifications leave
    as soon as it commits. Responders may page (for a restricted incident, those who can see
    it); a task acting for the system passes no actor and source SYSTEM."""
    _check_may_page(actor, source, incident)
    plan, repeat, chosen = _plan(person, schedule, policy)
    summary = check_text(summary, field="summary", max_length=SUMMARY_MAX)
    if not summary and incident is not None:
        summary = f"{incident.reference}: {incident.title}"[:SUMMARY_MAX]
    if not summary:
        raise ValidationError("say what the page is about", field="summary")
    message = check_text(message, field="message", max_length=MESSAGE_MAX)
    link = check_link_url(link, "link")
    now = timezone.now()
    with transaction.atomic():
        page = Page.objects.create(
            incident=incident,
            policy=chosen,
            summary=summary,
            message=message,
            link=link,
            plan=plan,
            repeat=repeat,
            next_at=now,
            created_by=actor,
            source=source,
        )
        if incident is not None:
            record_entry(
                incident=incident,
                kind=EntryKind.EVENT,
                body=f"Paged {_target_words(page)}: {summary}",
                actor=actor,
                source=source,
                data={"page": page.pk},
            )
        run_step(page, now, queue=queue_escalation)
    return page


# -- acknowledging and cancelling --------------------------------------------------------------


def _acknowledge(page: Page, actor: User, source: ActionSource, now: datetime) -> bool:
    """Mark one locked page acknowledged; False when it already was."""
    if page.status == PageStatus.ACKNOWLEDGED:
        return False
    if page.status == PageStatus.CANCELLED:
        raise InvalidTransition("this page was cancelled", field="page")
    page.status = PageStatus.ACKNOWLEDGED
    page.acknowledged_by, page.acknowledged_at, page.acknowledged_source = actor, now, source
    page.finished_at, page.next_at = now, None
    page.outcome = f"acknowledged by {actor.username} ({_where_stopped(page)})"
    page.save(
        update_fields=[
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "acknowledged_source",
            "finished_at",
            "next_at",
            "outcome",
        ]
    )
    return True


def _where_stopped(page: Page) -> str:
    last = page.notices.order_by("-round", "-step").values("round", "step").first()
    if last is None:
        return "before anyone was notified"
    words = f"after step {last['step'] + 1} of {len(page.plan)}"
    if page.repeat:
        words += f", round {last['round'] + 1}"
    return words


def _acknowledge_incident(actor, source, incident: Incident | None, *, paged: bool) -> None:
    if incident is not None and incident.status != IncidentStatus.CLOSED:
        incident_acknowledge(actor=actor, source=source, incident=incident, paged=paged)


def page_acknowledge(*, actor: User, source: ActionSource, page: Page) -> Page:
    """Stop the page's escalation: someone is on it. Acknowledging again changes nothing. For
    a page about an incident, the incident is acknowledged too (its `acknowledged_at` set the
    first time, the timeline saying who)."""
    with transaction.atomic():
        locked = (
            Page.objects.select_for_update(of=("self",))
            .select_related("incident", "policy")
            .filter(pk=page.pk)
            .first()
        )
        if locked is None:
            raise NotFound("there is no such page", field="page")
        page = locked
        paged = _check_may_acknowledge(actor, page)
        if _acknowledge(page, actor, source, timezone.now()):
            _acknowledge_incident(actor, source, page.incident, paged=paged)
    return page


def incident_pages_acknowledge(
    *, actor: User, source: ActionSource, incident: Incident
) -> list[Page]:
    """Acknowledge every page of the incident still waiting for it (escalating or exhausted),
    and the incident. Returns the pages acknowledged now."""
    with transaction.atomic():
        waiting = list(
            Page.objects.select_for_update(of=("self",))
            .select_related("incident", "policy")
            .filter(incident=incident, status__in=WAITING)
            .order_by("pk")
        )
        now = timezone.now()
        paged = False
        for page in waiting:
            paged = _check_may_acknowledge(actor, page) or paged
            _acknowledge(page, actor, source, now)
        if not waiting and not can_see(actor, incident):
            raise NotFound("there is no such incident", field="incident")
        _acknowledge_incident(actor, source, incident, paged=paged)
    return waiting


def page_cancel(*, actor: User, source: ActionSource, page: Page, reason: str = "") -> Page:
    """Stop a page nobody needs to answer any more (escalating or exhausted). Who may page
    may cancel; cancelling again changes nothing."""
    reason = check_text(reason, field="reason", max_length=MESSAGE_MAX)
    with transaction.atomic():
        locked = (
            Page.objects.select_for_update(of=("self",))
            .select_related("incident")
            .filter(pk=page.pk)
            .first()
        )
        if locked is None:
            raise NotFound("there is no such page", field="page")
        page = locked
        _check_may_page(actor, source, page.incident)
        if page.status == PageStatus.CANCELLED:
            return page
        if page.status == PageStatus.ACKNOWLEDGED:
            raise InvalidTransition("this page was already acknowledged", field="page")
        _cancel(page, actor, source, reason)
    return page


def _cancel(page: Page, actor, source: ActionSource, reason: str) -> None:
    """Mark one locked page cancelled, and say so on its incident's timeline."""
    now = timezone.now()
    who = actor.username if actor is not None else "the system"
    page.status, page.finished_at, page.next_at = PageStatus.CANCELLED, now, None
    page.outcome = f"cancelled by {who}" + (f": {reason}" if reason else "")
    page.save(update_fields=["status", "finished_at", "next_at", "outcome"])
    if page.incident is not None:
        record_entry(
            incident=page.incident,
            kind=EntryKind.EVENT,
            body=f"Page cancelled: {page.summary}" + (f" ({reason})" if reason else ""),
            actor=actor,
            source=source,
            data={"page": page.pk, "cancelled": True},
        )


def pages_stop_on_resolve(
    *, actor, source: ActionSource, incident: Incident, message: str, publicly: bool
) -> None:
    """The incidents `after_resolve` hook: a resolved incident needs nobody paged any more, so
    its pages still escalating are cancelled (inside the resolving transaction)."""
    escalating = (
        Page.objects.select_for_update(of=("self",))
        .select_related("incident")
        .filter(incident=incident, status=PageStatus.OPEN)
        .order_by("pk")
    )
    for page in escalating:
        _cancel(page, actor, source, "the incident was resolved")

"""Reads of paging: the public fields of policies, pages and contact methods, the same for the
API and the CLI's --json, and the lists the doors show."""

from django.db.models import QuerySet

from incidentdesk.oncall.contacts import webhook_secret
from incidentdesk.oncall.models import (
    ContactKind,
    ContactMethod,
    EscalationPolicy,
    Page,
    PageStatus,
    StepTarget,
)


def _moment(value) -> str | None:
    return value.isoformat() if value else None


def step_data(step) -> dict:
    data = {"position": step.position, "target": step.target, "wait_minutes": step.wait_minutes}
    if step.target == StepTarget.PERSON:
        data["person"] = step.user.username if step.user else None
    elif step.target == StepTarget.POLICY:
        data["policy"] = step.handover.name if step.handover else None
    else:
        data["schedule"] = step.schedule.name if step.schedule else None
    return data


def policy_data(policy: EscalationPolicy) -> dict:
    steps = policy.steps.select_related("user", "schedule", "handover").order_by("position")
    return {
        "id": policy.pk,
        "name": policy.name,
        "description": policy.description,
        "repeat": policy.repeat,
        "is_default": policy.is_default,
        "steps": [step_data(step) for step in steps],
        "created_at": _moment(policy.created_at),
    }


def policies() -> QuerySet[EscalationPolicy]:
    return EscalationPolicy.objects.order_by("name").prefetch_related(
        "steps__user", "steps__schedule", "steps__handover"
    )


def page_data(page: Page) -> dict:
    """A page as the doors show it, and as the webhook of a page notification carries it."""
    incident = page.incident
    return {
        "id": page.pk,
        "status": page.status,
        "summary": page.summary,
        "message": page.message,
        "link": page.link,
        "incident": incident.reference if incident else None,
        "policy": page.policy.name if page.policy else None,
        "steps": len(page.plan),
        "repeat": page.repeat,
        "step": page.step,
        "round": page.round,
        "next_at": _moment(page.next_at) if page.status == PageStatus.OPEN else None,
        "created_by": page.created_by.username if page.created_by else None,
        "source": page.source,
        "created_at": _moment(page.created_at),
        "acknowledged_by": page.acknowledged_by.username if page.acknowledged_by else None,
        "acknowledged_at": _moment(page.acknowledged_at),
        "acknowledged_source": page.acknowledged_source or None,
        "finished_at": _moment(page.finished_at),
        "outcome": page.outcome,
    }


def pages(*, status: str | None = None, incident=None) -> QuerySet[Page]:
    """Pages, newest first, with what page_data shows joined (callers narrow by visibility)."""
    found = Page.objects.select_related("incident", "policy", "created_by", "acknowledged_by")
    if status:
        found = found.filter(status=status)
    if incident is not None:
        found = found.filter(incident=incident)
    return found.order_by("-created_at", "-pk")


def unanswered_pages() -> QuerySet[Page]:
    """Pages nobody acknowledged, for admins: the outcome says what the last step did."""
    return pages(status=PageStatus.EXHAUSTED)


def contact_method_data(method: ContactMethod) -> dict:
    """A contact method; a webhook's carries the secret its receiver checks signatures with."""
    data = {
        "id": method.pk,
        "position": method.position,
        "kind": method.kind,
        "address": method.address,
        "label": method.label,
        "created_at": _moment(method.created_at),
    }
    if method.kind == ContactKind.WEBHOOK:
        data["signing_secret"] = webhook_secret(method.pk)
    return data

"""Reads for incidents: querysets with their related rows already loaded."""

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.incidents.models import (
    OPEN_STATUSES,
    ActionItem,
    Incident,
    IncidentRole,
    RoleAssignment,
    TimelineEntry,
)

PAGE_SIZE = 25


def _current_roles() -> Prefetch:
    return Prefetch(
        "role_history",
        queryset=RoleAssignment.objects.filter(ended_at__isnull=True).select_related("user"),
        to_attr="current_roles",
    )


def incident_list(
    *,
    query: str = "",
    status: str = "",
    severity: str = "",
    component: str = "",
    kind: str = "",
    mine_for=None,
) -> QuerySet[Incident]:
    """Incidents, newest first, filtered. `status` may be `open` for every open status."""
    qs = Incident.objects.select_related("severity").prefetch_related(
        _current_roles(), "components"
    )
    if query:
        qs = qs.filter(
            Q(reference__icontains=query) | Q(title__icontains=query) | Q(summary__icontains=query)
        )
    if status == "open":
        qs = qs.filter(status__in=OPEN_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if severity:
        qs = qs.filter(severity__key=severity)
    if component:
        qs = qs.filter(components__name__iexact=component).distinct()
    if kind:
        qs = qs.filter(kind=kind)
    if mine_for is not None:
        qs = qs.filter(role_history__user=mine_for, role_history__ended_at__isnull=True).distinct()
    return qs


def incident_by_reference(reference: str) -> Incident | None:
    """One incident with its severity, components and current role holders loaded."""
    return (
        Incident.objects.select_related("severity")
        .prefetch_related("components", _current_roles())
        # References are stored upper-case; an exact match uses the unique index where
        # iexact (LIKE on SQLite) would scan the table.
        .filter(reference=(reference or "").strip().upper())
        .first()
    )


def incident_for_announcement(incident_id: int) -> Incident | None:
    return Incident.objects.select_related("severity").filter(pk=incident_id).first()


def holders_by_role(assignments) -> dict[str, list[User]]:
    """{role: [people]} from current role assignments (e.g. an incident's prefetched
    `current_roles`)."""
    holders: dict[str, list[User]] = {}
    for assignment in assignments:
        holders.setdefault(assignment.role, []).append(assignment.user)
    return holders


def current_role_holders(incident: Incident) -> dict[str, list[User]]:
    """Who holds each role now, read fresh from the database (after a write, say)."""
    return holders_by_role(
        RoleAssignment.objects.filter(incident=incident, ended_at__isnull=True).select_related(
            "user"
        )
    )


def role_history(incident: Incident) -> QuerySet[RoleAssignment]:
    return RoleAssignment.objects.filter(incident=incident).select_related(
        "user", "assigned_by", "ended_by"
    )


def timeline(incident: Incident, *, kinds: list[str] | None = None, pinned_only: bool = False):
    qs = TimelineEntry.objects.filter(incident=incident).select_related("author")
    if kinds:
        qs = qs.filter(kind__in=kinds)
    if pinned_only:
        qs = qs.filter(pinned=True)
    return qs


def action_items(incident: Incident) -> QuerySet[ActionItem]:
    return ActionItem.objects.filter(incident=incident).select_related("owner")


def overdue_actions(*, owner=None) -> QuerySet[ActionItem]:
    qs = ActionItem.objects.overdue(timezone.localdate()).select_related("owner", "incident")
    if owner is not None:
        qs = qs.filter(owner=owner)
    return qs


def responders_desk_emails():
    return (
        User.objects.filter(on_responders_desk=True, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )


def open_incidents_by_severity() -> QuerySet[Incident]:
    return incident_list(status="open").order_by("severity__position", "-declared_at")


def my_roles(user) -> QuerySet[RoleAssignment]:
    return (
        RoleAssignment.objects.filter(
            user=user, ended_at__isnull=True, incident__status__in=OPEN_STATUSES
        )
        .exclude(role=IncidentRole.REPORTER)
        .select_related("incident", "incident__severity")
    )

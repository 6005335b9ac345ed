"""Incident roles: assign, hand over and release, with the full history kept."""

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import (
    DeskSeat,
    EntryKind,
    Incident,
    IncidentRole,
    IncidentStatus,
    RoleAssignment,
)
from incidentdesk.incidents.services.desk import desk_tell_change, desk_welcome
from incidentdesk.incidents.services.timeline import record_entry

ROLE_LABELS = dict(IncidentRole.choices)


def _check_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in IncidentRole.values:
        raise ValidationError(
            f"unknown role {role!r}; use one of {', '.join(IncidentRole.values)}", field="role"
        )
    return role


def role_warnings(holders: dict[str, list]) -> list[str]:
    """Warnings about the current role holders (given as role → users)."""
    warnings = []
    leads, scribes = holders.get(IncidentRole.LEAD, []), holders.get(IncidentRole.SCRIBE, [])
    if leads and scribes and leads[0].pk == scribes[0].pk:
        warnings.append(
            f"{leads[0].display_name} is both lead and scribe: running the response and "
            "keeping the log at once is hard; hand the scribe role to someone else if you can."
        )
    return warnings


def role_assign(
    *, actor, source: ActionSource, incident: Incident, role: str, user, tell_desk: bool = True
) -> RoleAssignment:
    """Give `role` to `user`. A single role (all but assignee) has one holder: giving it to
    someone else hands it over, ending the previous holder's span. The first lead acknowledges
    an open incident. An assignee joins the incident's desk. Each change goes on the timeline.
    A lead change is told to the desk, unless `tell_desk` is False (the declaration names its
    lead in the desk's announcement)."""
    require(actor, Perm.ROLE_ASSIGN)
    role = _check_role(role)
    if incident.status == IncidentStatus.CLOSED:
        raise InvalidTransition("a closed incident's roles cannot change", field="status")
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated", field="person")
    now = timezone.now()
    label = ROLE_LABELS[role].lower()
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))
            .select_related("severity")  # the desk's notice names it
            .get(pk=incident.pk)
        )
        # Every current holder, read once: the one this change hands over from, and (kept on
        # the incident as `current_roles`) the holders after it, for whoever shows it next.
        holders = selectors.current_roles(incident)
        previous = next(
            (
                held
                for held in holders
                if held.role == role and (role != IncidentRole.ASSIGNEE or held.user_id == user.pk)
            ),
            None,
        )
        if previous is not None and previous.user_id == user.pk:
            raise InvalidTransition(f"{user.display_name} is already the {label}", field="person")
        if previous is not None:
            previous.ended_at, previous.ended_by = now, actor
            previous.save(update_fields=["ended_at", "ended_by"])
            body = f"{previous.user.display_name} handed {label} to {user.display_name}"
        else:
            body = f"{user.display_name} is now {label}"
        if actor.pk != user.pk:
            body += f" (set by {actor.display_name})"
        assignment = RoleAssignment.objects.create(
            incident=incident, role=role, user=user, started_at=now, assigned_by=actor
        )
        if role == IncidentRole.LEAD and incident.acknowledged_at is None and incident.is_open:
            incident.acknowledged_at = now
            incident.save(update_fields=["acknowledged_at", "updated_at"])
        if role == IncidentRole.ASSIGNEE and incident.is_open:
            _, seated = DeskSeat.objects.get_or_create(incident=incident, user=user, left_at=None)
            if seated:
                desk_welcome(incident=incident, user=user)
        if role == IncidentRole.LEAD and tell_desk:
            desk_tell_change(
                incident=incident,
                actor=actor,
                field="lead",
                old=previous.user.display_name if previous else None,
                new=user.display_name,
            )
        record_entry(
            incident=incident,
            kind=EntryKind.ROLE_CHANGE,
            body=body,
            actor=actor,
            source=source,
            data={
                "role": role,
                "to": user.username,
                "from": previous.user.username if previous else None,
            },
        )
        # In the order the database gives them (started_at, id).
        incident.current_roles = sorted(
            [held for held in holders if held is not previous] + [assignment],
            key=lambda held: (held.started_at, held.pk),
        )
    return assignment


def role_release(
    *, actor, source: ActionSource, incident: Incident, role: str, user=None
) -> RoleAssignment:
    """End the current holder's span of `role` (for assignees, `user`'s) without a successor."""
    require(actor, Perm.ROLE_ASSIGN)
    role = _check_role(role)
    if incident.status == IncidentStatus.CLOSED:
        raise InvalidTransition("a closed incident's roles cannot change", field="status")
    label = ROLE_LABELS[role].lower()
    with transaction.atomic():
        current = RoleAssignment.objects.select_for_update().filter(
            incident=incident, role=role, ended_at__isnull=True
        )
        if user is not None:
            current = current.filter(user=user)
        assignment = current.select_related("user").first()
        if assignment is None:
            raise InvalidTransition(f"nobody holds {label} to release", field="role")
        now = timezone.now()
        assignment.ended_at, assignment.ended_by = now, actor
        assignment.save(update_fields=["ended_at", "ended_by"])
        if role == IncidentRole.ASSIGNEE:
            DeskSeat.objects.filter(
                incident=incident, user=assignment.user, left_at__isnull=True
            ).update(left_at=now)
        if role == IncidentRole.LEAD:
            desk_tell_change(
                incident=incident,
                actor=actor,
                field="lead",
                old=assignment.user.display_name,
                new=None,
            )
        record_entry(
            incident=incident,
            kind=EntryKind.ROLE_CHANGE,
            body=(
                f"{assignment.user.display_name} is no longer {label}"
                f" (released by {actor.display_name})"
            ),
            actor=actor,
            source=source,
            data={"role": role, "to": None, "from": assignment.user.username},
        )
    return assignment


def incident_acknowledge(
    *, actor, source: ActionSource, incident: Incident, paged: bool = False
) -> Incident:
    """Someone takes the incident on: its `acknowledged_at` is set the first time (never moved
    later), and each acknowledgement goes on the timeline saying who. Responders may; with
    `paged`, the caller (on-call paging) has checked that `actor` was paged for it, which is
    enough whatever their role. A closed incident is not acknowledged."""
    if not paged:
        require(actor, Perm.INCIDENT_UPDATE)
    if actor is None or not getattr(actor, "pk", None):
        raise ValidationError("someone must acknowledge", field="actor")
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        if incident.status == IncidentStatus.CLOSED:
            raise InvalidTransition("a closed incident is not acknowledged", field="status")
        first = incident.acknowledged_at is None
        if first:
            incident.acknowledged_at = timezone.now()
            incident.save(update_fields=["acknowledged_at", "updated_at"])
        body = f"{actor.display_name} acknowledged the incident"
        if paged:
            body += " (paged)"
        record_entry(
            incident=incident,
            kind=EntryKind.EVENT,
            body=body,
            actor=actor,
            source=source,
            data={"acknowledged_by": actor.username, "first": first, "paged": paged},
        )
    return incident

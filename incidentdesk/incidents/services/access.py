"""Who may see a restricted incident: inviting people in and withdrawing the invitation.

The rule itself is `Incident.objects.visible_to(user)` and `incidents.permissions.can_see`;
these services change who takes part."""

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import InvalidTransition, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus, Invitation
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services.timeline import record_entry


def restriction_rule(clean: dict[str, Any], changes: Mapping[str, Any], incident=None) -> None:
    """A security incident is always restricted: declaring one or marking one security
    restricts it, and lifting the restriction of a security incident is refused (lifting the
    security flag keeps the restriction until it is lifted too). Adjusts `clean` in place."""
    security = clean.get("security", incident.security if incident else False)
    if not security:
        return
    if incident is not None and changes.get("restricted") is False:
        raise ValidationError("a security incident is always restricted", field="restricted")
    if incident is None or not incident.restricted:
        clean["restricted"] = True


def require_may_see(people, incident: Incident, *, field: str) -> None:
    """Refuse to give work on a restricted incident (an action to own, a meeting to attend)
    to someone who may not see it: they would be told about it by email. Invite them first."""
    for person in people:
        if person is not None and not can_see(person, incident):
            raise ValidationError(
                f"{person.username} may not see restricted incident {incident.reference}; "
                "invite them first",
                field=field,
            )


def _check_can_invite(actor, incident: Incident) -> None:
    require(actor, Perm.INCIDENT_INVITE)
    if not can_see(actor, incident):  # adapters already answer 404; a service says it too
        raise NotFound(f"there is no incident {incident.reference}", field="reference")
    if incident.status == IncidentStatus.CLOSED:
        raise InvalidTransition("a closed incident's people cannot change", field="status")


def incident_invite(*, actor, source: ActionSource, incident: Incident, user) -> Invitation:
    """Let `user` see a restricted incident while the invitation is open (as the people
    holding its roles do). Recorded on the timeline."""
    _check_can_invite(actor, incident)
    if not incident.restricted:
        raise InvalidTransition(
            f"{incident.reference} is not restricted: everyone signed in already sees it",
            field="person",
        )
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated", field="person")
    with transaction.atomic():
        Incident.objects.select_for_update().filter(pk=incident.pk).first()
        if Invitation.objects.filter(incident=incident, user=user, ended_at__isnull=True).exists():
            raise InvalidTransition(f"{user.display_name} is already invited", field="person")
        invitation = Invitation.objects.create(incident=incident, user=user, invited_by=actor)
        record_entry(
            incident=incident,
            kind=EntryKind.ROLE_CHANGE,
            body=f"{user.display_name} was invited to this restricted incident"
            f" (by {actor.display_name})",
            actor=actor,
            source=source,
            data={"invited": user.username},
        )
    return invitation


def incident_uninvite(*, actor, source: ActionSource, incident: Incident, user) -> Invitation:
    """Withdraw `user`'s open invitation: they no longer see the incident unless they hold a
    role on it or sit at its desk. Recorded on the timeline."""
    _check_can_invite(actor, incident)
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update()
            .filter(incident=incident, user=user, ended_at__isnull=True)
            .first()
        )
        if invitation is None:
            raise InvalidTransition(f"{user.display_name} is not invited", field="person")
        invitation.ended_at, invitation.ended_by = timezone.now(), actor
        invitation.save(update_fields=["ended_at", "ended_by"])
        record_entry(
            incident=incident,
            kind=EntryKind.ROLE_CHANGE,
            body=f"{user.display_name}'s invitation was withdrawn (by {actor.display_name})",
            actor=actor,
            source=source,
            data={"uninvited": user.username},
        )
    return invitation

"""Who may do what. Every service write calls `require` before touching anything."""

from enum import StrEnum

from incidentdesk.accounts.models import ROLE_RANK, Role, TokenScope, User
from incidentdesk.core.errors import NotAuthenticated, PermissionDenied


class Perm(StrEnum):
    INCIDENT_DECLARE = "incident.declare"
    INCIDENT_UPDATE = "incident.update"
    INCIDENT_CLOSE = "incident.close"
    INCIDENT_INVITE = "incident.invite"
    ROLE_ASSIGN = "role.assign"
    TIMELINE_WRITE = "timeline.write"
    ACTION_WRITE = "action.write"
    COMPONENT_MANAGE = "component.manage"
    SEVERITY_MANAGE = "severity.manage"
    USER_MANAGE = "user.manage"
    TOKEN_OWN = "token.own"
    STATUSPAGE_PUBLISH = "statuspage.publish"
    STATUSPAGE_MANAGE = "statuspage.manage"
    SUBSCRIBER_MANAGE = "subscriber.manage"
    POSTMORTEM_EDIT = "postmortem.edit"
    POSTMORTEM_PUBLISH = "postmortem.publish"
    POSTMORTEM_FEEDBACK = "postmortem.feedback"
    CHAT_LINK = "chat.link"
    CHAT_ADMIN = "chat.admin"
    INTEGRATION_MANAGE = "integration.manage"
    SCHEDULE_MANAGE = "schedule.manage"
    CONTACT_OWN = "contact.own"
    RECOVERY_MANAGE = "recovery.manage"
    DISASTER_DECLARE = "disaster.declare"


# The least role that holds each permission.
MIN_ROLE: dict[Perm, Role] = {
    Perm.INCIDENT_DECLARE: Role.RESPONDER,
    Perm.INCIDENT_UPDATE: Role.RESPONDER,
    Perm.INCIDENT_CLOSE: Role.MANAGER,
    Perm.INCIDENT_INVITE: Role.RESPONDER,
    Perm.ROLE_ASSIGN: Role.RESPONDER,
    Perm.TIMELINE_WRITE: Role.RESPONDER,
    Perm.ACTION_WRITE: Role.RESPONDER,
    Perm.COMPONENT_MANAGE: Role.MANAGER,
    Perm.SEVERITY_MANAGE: Role.ADMIN,
    Perm.USER_MANAGE: Role.ADMIN,
    Perm.TOKEN_OWN: Role.VIEWER,
    Perm.STATUSPAGE_PUBLISH: Role.RESPONDER,
    Perm.STATUSPAGE_MANAGE: Role.MANAGER,
    Perm.SUBSCRIBER_MANAGE: Role.MANAGER,
    Perm.POSTMORTEM_EDIT: Role.RESPONDER,
    Perm.POSTMORTEM_PUBLISH: Role.MANAGER,
    # Viewers too, when they took part in the response (checked by the feedback service).
    Perm.POSTMORTEM_FEEDBACK: Role.VIEWER,
    # Which account a chat user acts as.
    Perm.CHAT_LINK: Role.ADMIN,
    Perm.CHAT_ADMIN: Role.ADMIN,
    # Where alerts come in from, and the keys that let them in.
    Perm.INTEGRATION_MANAGE: Role.ADMIN,
    # On-call schedules: their layers and overrides.
    Perm.SCHEDULE_MANAGE: Role.MANAGER,
    # How one is reached when paged: one's own contact methods (admins: anyone's).
    Perm.CONTACT_OWN: Role.VIEWER,
    # The systems catalog (owners, RTO and RPO, components) and the runbooks admins define.
    Perm.RECOVERY_MANAGE: Role.ADMIN,
    # Escalating an incident to a disaster; moving a system's state is the decision-maker's
    # alone, whatever their role (checked by the recovery services).
    Perm.DISASTER_DECLARE: Role.RESPONDER,
}


def has_perm(actor, perm: Perm) -> bool:
    if actor is None or not getattr(actor, "is_authenticated", False) or not actor.is_active:
        return False
    # A read-scoped API token never writes, whatever its owner may do.
    if getattr(actor, "token_scope", TokenScope.WRITE) != TokenScope.WRITE:
        return False
    return ROLE_RANK[Role(actor.effective_role)] >= ROLE_RANK[MIN_ROLE[perm]]


def require(actor, perm: Perm) -> None:
    """Raise unless `actor` holds `perm`."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated("sign in first")
    if not has_perm(actor, perm):
        if not actor.is_active:
            raise PermissionDenied("this account is deactivated")
        if getattr(actor, "token_scope", TokenScope.WRITE) != TokenScope.WRITE:
            raise PermissionDenied("this API token is read-only")
        needed = MIN_ROLE[perm]
        raise PermissionDenied(
            f"your role ({actor.effective_role}) may not do this; it needs {needed.value} or above"
        )


def require_writer(actor) -> None:
    """Raise unless `actor` may write at all (signed in, active, not through a read-only
    token), whatever their role: for writes that belong to one person, such as a disaster's
    decision-maker's, whose service then checks that it is them."""
    if actor is None or not getattr(actor, "is_authenticated", False):
        raise NotAuthenticated("sign in first")
    if not actor.is_active:
        raise PermissionDenied("this account is deactivated")
    if getattr(actor, "token_scope", TokenScope.WRITE) != TokenScope.WRITE:
        raise PermissionDenied("this API token is read-only")


def require_or_system(actor, source, perm: Perm) -> None:
    """Like `require`, but a background task acting for the system itself (no actor, source
    SYSTEM) may proceed. Adapters never pass SYSTEM: only tasks do."""
    from incidentdesk.core.sources import ActionSource

    if actor is None and source == ActionSource.SYSTEM:
        return
    require(actor, perm)


# Restricted incidents ---------------------------------------------------------------------
# One rule, used by every surface: `Incident.objects.visible_to(user)` for lists and lookups,
# `incidents.permissions.can_see` for one incident already loaded. The parts about the user
# (admin, the security group) are here.


def in_security_group(user) -> bool:
    """Member of the Django group named by INCIDENTDESK_SECURITY_GROUP (cached on the user
    object for the request)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return False
    cached = getattr(user, "_in_security_group", None)
    if cached is None:
        from django.conf import settings

        name = settings.SECURITY_GROUP
        cached = bool(name) and user.groups.filter(name=name).exists()
        user._in_security_group = cached
    return cached


def security_group_member(user):
    """A condition true when `user` is in the security group, to put in a query's WHERE."""
    from django.conf import settings
    from django.db.models import Exists, Q

    if not settings.SECURITY_GROUP:
        return Q(pk__in=[])
    membership = User.groups.through.objects.filter(
        user_id=user.pk, group__name=settings.SECURITY_GROUP
    )
    return Q(Exists(membership))


def sees_every_incident(user, *, ask_groups: bool = True) -> bool:
    """Admins and the security group see restricted incidents they take no part in.
    (`ask_groups=False` answers for admins only, without a query.)"""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.effective_role == Role.ADMIN:
        return True
    return ask_groups and in_security_group(user)

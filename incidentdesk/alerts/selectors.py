"""Reads of the alerts domain."""

from django.db.models import QuerySet

from incidentdesk.accounts.models import Role
from incidentdesk.alerts.models import Integration, Route
from incidentdesk.core.errors import NotAuthenticated, PermissionDenied


def integrations_for(viewer) -> QuerySet[Integration]:
    """Every integration, newest first, for an admin (a read-scoped token will do): they name
    where alerts come from, which is an admin's business."""
    _admin_only(viewer, "the integrations")
    return Integration.objects.select_related("created_by")


def routes_for_admin(viewer) -> QuerySet[Route]:
    """Every route, in the order they are tried (position, then oldest), for an admin."""
    _admin_only(viewer, "the routes")
    return Route.objects.select_related("integration", "severity", "author").prefetch_related(
        "components"
    )


def _admin_only(viewer, what: str) -> None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        raise NotAuthenticated("sign in first")
    if not viewer.is_active or viewer.effective_role != Role.ADMIN:
        raise PermissionDenied(f"only an admin may see {what}")


def integration_data(integration: Integration) -> dict:
    """An integration as the API and `integration list --json` show it (never its key)."""
    return {
        "id": integration.pk,
        "kind": integration.kind,
        "name": integration.name,
        "key_id": integration.key_id,
        "signed": integration.signed,
        "created_by": integration.created_by.username if integration.created_by else None,
        "created_at": integration.created_at,
        "revoked_at": integration.revoked_at,
    }


def route_data(route: Route) -> dict:
    """A route as the API and `route list --json` show it (its severity by key, its
    components by name, its author by username)."""
    return {
        "id": route.pk,
        "integration": route.integration_id,
        "position": route.position,
        "name": route.name,
        "matchers": route.matchers,
        "action": route.action,
        "severity": route.severity.key if route.severity else None,
        "components": [c.name for c in route.components.all()],
        "pages": route.pages,
        "author": route.author.username if route.author else None,
        "created_at": route.created_at,
    }

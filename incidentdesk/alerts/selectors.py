"""Reads of the alerts domain."""

from django.db.models import QuerySet

from incidentdesk.accounts.models import Role
from incidentdesk.alerts.models import Integration
from incidentdesk.core.errors import NotAuthenticated, PermissionDenied


def integrations_for(viewer) -> QuerySet[Integration]:
    """Every integration, newest first, for an admin (a read-scoped token will do): they name
    where alerts come from, which is an admin's business."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        raise NotAuthenticated("sign in first")
    if not viewer.is_active or viewer.effective_role != Role.ADMIN:
        raise PermissionDenied("only an admin may see the integrations")
    return Integration.objects.select_related("created_by")

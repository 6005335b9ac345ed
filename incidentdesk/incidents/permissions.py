"""Who may see one incident. The rule for lists and lookups is `Incident.objects.visible_to`
(models.py); `can_see` answers it for an incident already loaded. Who holds which permission
is accounts.permissions."""

from incidentdesk.accounts.permissions import sees_every_incident
from incidentdesk.incidents.models import Incident


def can_see(user, incident: Incident) -> bool:
    """Whether `user` may see `incident` at all (see `IncidentQuerySet.visible_to`)."""
    if not incident.restricted or sees_every_incident(user):
        return True
    return Incident.objects.visible_to(user).filter(pk=incident.pk).exists()

"""What postmortems ask of incidents (incidents/hooks.py); PostmortemsConfig.ready() imports
this module, which registers the functions below."""

from incidentdesk.core.errors import InvalidTransition
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import Incident
from incidentdesk.postmortems.models import Postmortem, PostmortemStatus


@hooks.before_close.register
def check_postmortem_for_close(incident: Incident, reason: str) -> None:
    """Closing needs the postmortem published, or a waiver where the severity allows one (the
    reason given, else a sentence saying the severity does not require one)."""
    published = Postmortem.objects.filter(
        incident=incident, status=PostmortemStatus.PUBLISHED
    ).exists()
    if published:
        incident.postmortem_waiver_reason = ""
        return
    if incident.severity.postmortem_required:
        raise InvalidTransition(
            f"a {incident.severity.name} incident needs its postmortem published before "
            "it can be closed",
            field="status",
        )
    incident.postmortem_waiver_reason = reason or (
        f"postmortem not required for {incident.severity.name} incidents"
    )

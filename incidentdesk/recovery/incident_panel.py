"""The incident page's "Disaster" panel: the way to escalate the incident to a disaster (or
a drill of one), or, once it is one, a summary of each system's state with the way to the
control room. Registered with incidents/panels.py when registrations.register() imports it."""

from incidentdesk.incidents import panels
from incidentdesk.incidents.models import Incident, IncidentStatus
from incidentdesk.recovery import selectors, services


def panel_context(request, incident: Incident) -> dict:
    """What the panel shows: one query when the incident is no disaster (the escalate form is
    a page of its own), the systems' states when it is one."""
    disaster = selectors.disaster_for_incident(incident)
    if disaster is None:
        return {
            "disaster_panel": {
                "disaster": None,
                "open": incident.status != IncidentStatus.CLOSED,
            }
        }
    return {
        "disaster_panel": {
            "disaster": disaster,
            "decision_maker": services.decision_maker_of(disaster),
            "systems": list(disaster.systems.select_related("system").order_by("position", "pk")),
        }
    }


panels.register(
    "disaster",
    template="recovery/_incident_panel.html",
    context=panel_context,
    order=22,  # after the roles (its decision-maker is one), before paging
    column=panels.SIDE,
)

"""The postmortem's panel on the incident page (its state and a link to it), registered with
the incident page's panels (incidents/panels.py) by PostmortemsConfig.ready()."""

from incidentdesk.incidents import panels
from incidentdesk.incidents.models import Incident
from incidentdesk.postmortems.selectors import postmortem_for


def postmortem_panel(request, incident: Incident) -> dict:
    """The incident's postmortem, or None before it starts."""
    return {"postmortem": postmortem_for(incident)}


panels.register(
    "postmortem",
    template="postmortems/_incident_panel.html",
    context=postmortem_panel,
    order=30,
)

"""The status page's panel on the incident page (publish, post an update, resolve), registered
with the incident page's panels (incidents/panels.py) by StatuspageConfig.ready()."""

from incidentdesk.incidents import panels
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.services.lifecycle import PUBLIC_RESOLVE_MESSAGE
from incidentdesk.statuspage.forms import PublicUpdateForm, PublishForm, ResolveForm
from incidentdesk.statuspage.models import PublicIncident


def public_resolve(publication: PublicIncident | None) -> dict | None:
    """What the public reads when this incident is resolved: its open publication's name, the
    message used when none is written, and the components that go back to operational. The
    page's header shows it next to the Resolve button."""
    if publication is None or publication.is_resolved:
        return None
    return {
        "name": publication.name,
        "default_message": PUBLIC_RESOLVE_MESSAGE,
        "components": [a.component.name for a in publication.affected.all()],
    }


def _differences(incident: Incident, publication: PublicIncident | None):
    """The incident's components its publication does not name (internal until published),
    and the published components no longer on the incident (affected.py states the rule)."""
    mine = list(incident.components.all())
    if publication is None:
        return mine, []
    published = {a.component_id for a in publication.affected.all()}
    ours = {c.pk for c in mine}
    return (
        [c for c in mine if c.pk not in published],
        [a.component for a in publication.affected.all() if a.component_id not in ours],
    )


def publication_panel(request, incident: Incident) -> dict:
    """What the "Status page" panel shows: the incident's publication (if any) and the forms to
    publish, update and resolve it; and, for the header, `public_resolve`."""
    publication = PublicIncident.objects.filter(incident=incident).with_details().first()
    panel: dict = {"publication": publication, "public_resolve": public_resolve(publication)}
    panel["sp_internal_only"], panel["sp_not_on_incident"] = _differences(incident, publication)
    if publication is None:
        panel["publish_form"] = PublishForm(incident=incident)
    elif not publication.is_resolved:
        panel["public_update_form"] = PublicUpdateForm(initial={"status": publication.status})
        panel["resolve_form"] = ResolveForm()
    return panel


panels.register(
    "statuspage",
    template="statuspage/internal/_incident_panel.html",
    context=publication_panel,
    order=20,
)

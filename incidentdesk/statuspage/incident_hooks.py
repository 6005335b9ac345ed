"""What the status page does when incidents change (incidents/hooks.py); StatuspageConfig.ready()
imports this module, which registers the functions below."""

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.services.lifecycle import PUBLIC_RESOLVE_MESSAGE
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.public_site import refresh_after_commit
from incidentdesk.statuspage.services import publication_resolve


def open_publication(incident: Incident) -> PublicIncident | None:
    """The incident's publication on the status page when it is not resolved yet, else None."""
    return PublicIncident.objects.unresolved().filter(incident=incident).first()


@hooks.after_resolve.register
def resolve_open_publication(
    *, actor, source: ActionSource, incident: Incident, message: str, publicly: bool
) -> None:
    """Resolving an incident resolves its open publication in the same transaction, unless the
    resolution stays internal: the closing message (or PUBLIC_RESOLVE_MESSAGE) is published,
    subscribers are told and its components go back to operational."""
    if not publicly:
        return
    publication = open_publication(incident)
    if publication is not None:
        publication_resolve(
            actor=actor,
            source=source,
            public_incident=publication,
            message=message or PUBLIC_RESOLVE_MESSAGE,
        )


# A component's name, description or group shows on the public documents.
hooks.after_catalog_change.register(refresh_after_commit)

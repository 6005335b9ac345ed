"""Rendering the public site when data changes. (Being written: see the v2 API helper.)"""

from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import rules
from incidentdesk.statuspage.models import PublicIncident


def page_status() -> tuple[str, str]:
    """The page's overall indicator and description, from current data."""
    impacts = [
        pi.impact_override or pi.impact
        for pi in PublicIncident.objects.unresolved().only("impact", "impact_override")
    ]
    statuses = list(Component.objects.values_list("status", flat=True))
    maintenance = PublicIncident.objects.maintenances().filter(status="in_progress").exists()
    return rules.page_indicator(
        incident_impacts=impacts, component_statuses=statuses, maintenance=maintenance
    )


def refresh() -> None:
    """Re-render every public document. Called after each committed change."""

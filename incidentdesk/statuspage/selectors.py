"""Reads for the status page: what is public, and only that.

Everything the public documents say comes through here, from the stored public fields
(statuspage.models and the public fields of Component): never an internal incident's title,
summary, timeline or people.
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Q

from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import rules
from incidentdesk.statuspage.models import (
    UNRESOLVED_STATUSES,
    PageSettings,
    PublicIncident,
    PublicIncidentQuerySet,
)

RECENT_LIMIT = 50  # Statuspage: incidents.json and scheduled-maintenances.json hold the 50 latest
UPCOMING_OR_ACTIVE = ("scheduled", "in_progress", "verifying")
ACTIVE_MAINTENANCE = ("in_progress", "verifying")


def publications() -> PublicIncidentQuerySet:
    """Publications (incidents and maintenance) with their updates and affected components."""
    return PublicIncident.objects.with_details()


def page_status() -> tuple[str, str]:
    """The page's overall indicator and description, from current data."""
    impacts = [
        publication.impact_override or publication.impact
        for publication in PublicIncident.objects.unresolved().only("impact", "impact_override")
    ]
    statuses = list(Component.objects.values_list("status", flat=True))
    maintenance = PublicIncident.objects.maintenances().filter(status="in_progress").exists()
    return rules.page_indicator(
        incident_impacts=impacts, component_statuses=statuses, maintenance=maintenance
    )


def component_by_key(key) -> Component:
    """A component by public id, id or name; a ValidationError naming `components` when there
    is none."""
    text = str(key).strip()
    component = (
        Component.objects.filter(public_id=text).first()
        or (Component.objects.filter(pk=int(text)).first() if text.isdigit() else None)
        or Component.objects.filter(name__iexact=text).first()
    )
    if component is None:
        raise ValidationError(f"no component {text!r}", field="components")
    return component


@dataclass
class Snapshot:
    """Everything the public JSON documents and feeds say, read in a handful of queries."""

    page: PageSettings
    components: list[Component]
    incidents: list[PublicIncident]  # newest first, the 50 latest plus any unresolved
    maintenances: list[PublicIncident]  # newest scheduled first, 50 latest plus any not done


def read_snapshot() -> Snapshot:
    """The page, every component (groups first by position) and the publications the
    documents show: the 50 latest incidents and maintenance, plus any still open."""
    recent_incidents = list(
        PublicIncident.objects.incidents()
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:RECENT_LIMIT]
    )
    recent_maintenances = list(
        PublicIncident.objects.maintenances()
        .order_by("-scheduled_for", "-id")
        .values_list("pk", flat=True)[:RECENT_LIMIT]
    )
    wanted = (
        Q(pk__in=recent_incidents + recent_maintenances)
        | Q(is_maintenance=False, status__in=UNRESOLVED_STATUSES)
        | Q(is_maintenance=True, status__in=UPCOMING_OR_ACTIVE)
    )
    found = list(publications().filter(wanted))
    incidents = sorted(
        (p for p in found if not p.is_maintenance),
        key=lambda p: (p.created_at, p.pk),
        reverse=True,
    )
    maintenances = sorted(
        (p for p in found if p.is_maintenance),
        key=lambda p: (p.scheduled_for, p.pk),
        reverse=True,
    )
    return Snapshot(
        page=PageSettings.load(),
        components=list(Component.objects.select_related("group").order_by("position", "name")),
        incidents=incidents,
        maintenances=maintenances,
    )


def history_feed_items(snap: Snapshot) -> list[PublicIncident]:
    """What the feeds list: incidents and maintenance, newest first."""
    history = snap.incidents + snap.maintenances
    history.sort(key=lambda p: (p.created_at, p.pk), reverse=True)
    return history[:RECENT_LIMIT]


def publications_affecting(component: Component) -> list[PublicIncident]:
    """The latest publications affecting `component` or, for a group, any of its components,
    newest first."""
    return list(
        publications()
        .filter(Q(affected__component=component) | Q(affected__component__group=component))
        .distinct()
        .order_by("-created_at", "-id")[:RECENT_LIMIT]
    )


def maintenance_not_done() -> list[PublicIncident]:
    """Scheduled and ongoing maintenance, soonest first."""
    return list(
        publications()
        .maintenances()
        .filter(status__in=UPCOMING_OR_ACTIVE)
        .order_by("scheduled_for", "id")
    )


def published_since(day: date) -> list[PublicIncident]:
    """Incidents and completed maintenance that started on `day` or later, newest first."""
    return list(
        publications()
        .filter(Q(is_maintenance=False) | Q(status="completed"), started_at__date__gte=day)
        .order_by("-started_at", "-id")
    )


def unresolved_incidents() -> list[PublicIncident]:
    """Published incidents not yet resolved, newest first."""
    return list(publications().unresolved().order_by("-started_at", "-id"))


def every_publication() -> list[PublicIncident]:
    """Every publication, newest first (the history and the publications' own pages)."""
    return list(publications().order_by("-started_at", "-id"))

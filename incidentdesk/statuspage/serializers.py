"""Public objects in the shapes of Statuspage's public API v2 (and its webhooks).

Only stored public fields are read here: nothing internal reaches these dictionaries."""

from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import rules
from incidentdesk.statuspage.models import PageSettings, PublicIncident, PublicUpdate


def iso(value: datetime | None) -> str | None:
    """ISO 8601 with offset, in the page's time zone, milliseconds like Statuspage."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="milliseconds")


def page_json(page: PageSettings, updated_at: datetime | None = None) -> dict:
    return {
        "id": page.page_id,
        "name": page.name,
        "url": settings.BASE_URL,
        "time_zone": settings.TIME_ZONE,
        "updated_at": iso(updated_at or page.updated_at),
    }


def component_json(
    component: Component,
    page: PageSettings,
    children: list | None = None,
    position: int | None = None,
) -> dict:
    """A component row. Groups carry `group: true`, their children's ids, and the worst of
    their children's statuses (rules.worst_status; a group without children keeps its own);
    children carry their `group_id`. `position` is the row's place on the page when the
    caller lays out the whole list (Statuspage numbers components from 1 in page order)."""
    status = component.status
    if children:
        status = rules.worst_status(child.status for child in children)
    data: dict[str, Any] = {
        "id": component.public_id,
        "name": component.name,
        "status": status,
        "created_at": iso(component.created_at),
        "updated_at": iso(component.updated_at),
        "position": component.position if position is None else position,
        "description": component.description or None,
        "showcase": component.showcase,
        "start_date": timezone.localtime(component.created_at).date().isoformat(),
        "group_id": component.group.public_id if component.group is not None else None,
        "page_id": page.page_id,
        "group": children is not None,
        "only_show_if_degraded": component.only_show_if_degraded,
    }
    if children is not None:
        data["components"] = [child.public_id for child in children]
    return data


def update_json(update: PublicUpdate, public_incident: PublicIncident) -> dict:
    return {
        "id": update.public_id,
        "status": update.status,
        "body": update.body,
        "incident_id": public_incident.public_id,
        "created_at": iso(update.created_at),
        "updated_at": iso(update.created_at),
        "display_at": iso(update.display_at),
        "affected_components": update.affected_components or None,
        "deliver_notifications": update.deliver_notifications,
        "custom_tweet": None,
        "tweet_id": None,
    }


def incident_json(public_incident: PublicIncident, page: PageSettings) -> dict:
    """An incident (or scheduled maintenance) with its updates newest first and the
    components it affects. Expects `updates` and `affected__component` prefetched."""
    updates = sorted(
        public_incident.updates.all(), key=lambda u: (u.display_at, u.id), reverse=True
    )
    affected = sorted(
        (a.component for a in public_incident.affected.all()), key=lambda c: (c.position, c.id)
    )
    data: dict[str, Any] = {
        "id": public_incident.public_id,
        "name": public_incident.name,
        "status": public_incident.status,
        "created_at": iso(public_incident.created_at),
        "updated_at": iso(public_incident.updated_at),
        "monitoring_at": iso(public_incident.monitoring_at),
        "resolved_at": iso(public_incident.resolved_at),
        "impact": public_incident.impact_override or public_incident.impact,
        "shortlink": f"{settings.BASE_URL}/incidents/{public_incident.public_id}",
        "started_at": iso(public_incident.started_at),
        "page_id": page.page_id,
        "incident_updates": [update_json(u, public_incident) for u in updates],
        "components": [component_json(c, page) for c in affected],
        "postmortem_body": public_incident.postmortem_body or None,
        "postmortem_body_last_updated_at": iso(public_incident.postmortem_published_at),
    }
    if public_incident.is_maintenance:
        data.update(
            {
                "scheduled_for": iso(public_incident.scheduled_for),
                "scheduled_until": iso(public_incident.scheduled_until),
                "scheduled_remind_prior": public_incident.scheduled_remind_prior,
                "scheduled_reminded_at": iso(public_incident.scheduled_reminded_at),
                "impact_override": public_incident.impact_override or None,
                "scheduled_auto_in_progress": public_incident.scheduled_auto_transition,
                "scheduled_auto_completed": public_incident.scheduled_auto_transition,
            }
        )
    return data

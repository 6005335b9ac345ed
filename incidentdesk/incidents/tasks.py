"""Background work for incidents: the responders-desk announcement, sent through the outbox.

`incident_declare` emits, in its own transaction:

    emit(topic="incident.declared", payload=desk_announcement_payload(incident),
         staff_emails=desk_announcement_recipients())

The words are written at fan-out, right after the declaration commits, so roles given in the
same transaction (lead, assignees) are in the email; they are then stored on the event, so
every retry sends the same text."""

from django.conf import settings
from django.template.loader import render_to_string

from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import Incident

DESK_ANNOUNCEMENT = "desk_announcement"


def desk_announcement_payload(incident: Incident) -> dict:
    """The outbox payload of a desk announcement: worded later, by `desk_announcement_email`."""
    return {"render": DESK_ANNOUNCEMENT, "incident_id": incident.pk}


def desk_announcement_recipients(incident: Incident | None = None) -> list[str]:
    """Every active desk member with an email address, each told separately; for a restricted
    incident only those who may see it."""
    return selectors.responders_desk_emails(incident)


def desk_announcement_email(payload: dict) -> dict:
    """Subject and text telling the desk about a new incident: description, lead, assignees,
    tracker link and a link to it."""
    incident = selectors.incident_for_announcement(int(payload.get("incident_id") or 0))
    if incident is None:
        return {"subject": "An incident was declared and then removed", "text": ""}
    context = {
        "incident": incident,
        "holders": selectors.current_role_holders(incident),
        "url": f"{settings.BASE_URL}/incidents/{incident.reference}",
    }
    return {
        "subject": f"[{incident.severity.name}] {incident.reference} declared: {incident.title}",
        "text": render_to_string("incidents/email/desk_announcement.txt", context),
    }


# Staff events whose words are written at fan-out (see notifications.delivery._render_late).
LATE_RENDERERS = {DESK_ANNOUNCEMENT: desk_announcement_email}

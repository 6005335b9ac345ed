"""Background work for incidents, run by the Huey worker."""

import logging

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.template.loader import render_to_string
from huey.contrib.djhuey import db_task

from incidentdesk.incidents import selectors

logger = logging.getLogger(__name__)


@db_task(retries=5, retry_delay=30)
def announce_to_desk(incident_id: int) -> int:
    """Email everyone on the responders desk about a new incident: its description, lead,
    assignees, tracker link and a link to it. Returns how many people were told."""
    incident = selectors.incident_for_announcement(incident_id)
    if incident is None:
        return 0
    recipients = list(selectors.responders_desk_emails())
    if not recipients:
        return 0
    context = {
        "incident": incident,
        "holders": selectors.current_role_holders(incident),
        "url": f"{settings.BASE_URL}/incidents/{incident.reference}",
    }
    subject = f"[{incident.severity.name}] {incident.reference} declared: {incident.title}"
    body = render_to_string("incidents/email/desk_announcement.txt", context)
    with get_connection() as connection:
        messages = [
            EmailMessage(subject, body, to=[address], connection=connection)
            for address in recipients
        ]
        sent = connection.send_messages(messages) or 0
    logger.info("told %s desk members about %s", sent, incident.reference)
    return sent

"""Whether each person at an incident's desk was told about it, read from the notification
outbox's deliveries, so the incident page never claims someone was told when nothing could be
sent: the announcement of the incident (or an assignee's welcome) and the desk's change notices
are deliveries by email, and each has a status (sent, pending, failed with its error).

`desk_told(incident, desk)` answers, per member, the latest of those deliveries to their
address in words: "told by email", "being told by email", "not told: mail is not configured",
"not told: no email address", "not told: <the mail server's error>", or "nothing sent yet"."""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q

from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.notices import DECLARED_TOPIC, DESK_CHANGE_TOPIC, DESK_JOINED_TOPIC
from incidentdesk.notifications.channels.email import NOT_CONFIGURED, mail_configured
from incidentdesk.notifications.models import Delivery, DeliveryStatus

MAIL_NOT_CONFIGURED = "not told: mail is not configured"


@dataclass(frozen=True)
class Told:
    told: bool
    words: str
    at: datetime | None = None
    trouble: bool = False  # something stands in the way (no mail, no address, an error)


def _latest_deliveries(incident: Incident) -> dict[str, Delivery]:
    """The latest email delivery about `incident` to each address (lower-cased)."""
    about = Q(
        event__topic__in=[DECLARED_TOPIC, DESK_JOINED_TOPIC],
        event__payload__incident_id=incident.pk,
    ) | Q(event__topic=DESK_CHANGE_TOPIC, event__payload__incident__reference=incident.reference)
    latest: dict[str, Delivery] = {}
    for delivery in Delivery.objects.filter(about, channel="email").order_by("pk"):
        latest[delivery.recipient.lower()] = delivery
    return latest


def _words(delivery: Delivery | None, configured: bool) -> Told:
    if delivery is None:
        if not configured:
            return Told(False, MAIL_NOT_CONFIGURED, trouble=True)
        return Told(False, "nothing sent yet")
    if delivery.status == DeliveryStatus.SENT:
        return Told(True, "told by email", delivery.sent_at)
    if delivery.last_error == NOT_CONFIGURED or (not configured and not delivery.last_error):
        return Told(False, MAIL_NOT_CONFIGURED, trouble=True)
    if delivery.status == DeliveryStatus.FAILED:
        return Told(False, f"not told: {delivery.last_error or 'sending failed'}", trouble=True)
    if delivery.last_error:
        return Told(False, f"not told yet, retrying: {delivery.last_error}", trouble=True)
    return Told(False, "being told by email")


def desk_told(incident: Incident, desk: list[tuple]) -> list[tuple]:
    """`desk` (as selectors.incident_desk gives it: (member, seat) pairs), each with how they
    were told: (member, seat, Told)."""
    configured = mail_configured()
    latest = _latest_deliveries(incident) if desk else {}
    rows = []
    for member, seat in desk:
        if not member.email:
            told = Told(False, "not told: no email address", trouble=True)
        else:
            told = _words(latest.get(member.email.lower()), configured)
        rows.append((member, seat, told))
    return rows

"""The responders desk hears about an incident's turns: who sits at an incident's desk, the
welcome an assignee gets on joining it, and the notice the desk gets when the lead, the
severity or the status changes.

An incident's desk is the responders desk (people marked `on_responders_desk`, told about every
incident) plus the assignees seated at it (they sit while assigned and leave when it is
resolved). Every message goes through the outbox inside the change's transaction, so a change
that rolls back tells nobody."""

from django.conf import settings
from django.template.loader import render_to_string

from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.notices import DESK_JOINED_TOPIC, DESK_WELCOME
from incidentdesk.notifications.outbox import emit

DESK_CHANGE_TOPIC = "incident.desk_change"


def desk_welcome(*, incident: Incident, user) -> None:
    """Tell an assignee who just sat down at the incident's desk what they joined: the
    description, lead, assignees, tracker link and incident link (worded after commit, so a
    lead given in the same transaction is named)."""
    if not user.email:
        return
    emit(
        topic=DESK_JOINED_TOPIC,
        payload={"incident_id": incident.pk, "for": DESK_WELCOME},
        staff_emails=[user.email],
    )


def desk_tell_change(*, incident: Incident, actor, what: str, lines: list[str]) -> None:
    """Tell the incident's desk (but not the person who made it) about a change of lead,
    severity or status. `what` is the subject's few words; `lines` say what changed."""
    recipients = [
        member.email
        for member, _ in selectors.incident_desk(incident)
        if member.email and member.pk != getattr(actor, "pk", None)
    ]
    if not recipients:
        return
    context = {
        "incident": incident,
        "lines": lines,
        "actor": getattr(actor, "display_name", "") or "the system",
        "url": f"{settings.BASE_URL}/incidents/{incident.reference}",
    }
    emit(
        topic=DESK_CHANGE_TOPIC,
        payload={
            "email": {
                "subject": f"[{incident.severity.name}] {incident.reference} {what}: "
                f"{incident.title}",
                "text": render_to_string("incidents/email/desk_change.txt", context),
            }
        },
        staff_emails=recipients,
    )

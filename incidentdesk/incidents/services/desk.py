"""The responders desk hears about an incident's turns: who sits at an incident's desk, the
welcome an assignee gets on joining it, and the notice the desk gets when the lead, the
severity or the status changes.

An incident's desk is the responders desk (people marked `on_responders_desk`, told about every
incident) plus the assignees seated at it (they sit while assigned and leave when it is
resolved). Every message goes through the outbox inside the change's transaction, so a change
that rolls back tells nobody."""

from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.notices import (
    DESK_CHANGE_TOPIC,
    DESK_JOINED_TOPIC,
    DESK_WELCOME,
    incident_facts,
)
from incidentdesk.notifications.outbox import emit


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


def desk_tell_change(
    *, incident: Incident, actor, field: str, old: str | None, new: str | None, reason: str = ""
) -> None:
    """Tell the incident's desk (but not the person who made it) that `field` ("lead",
    "severity" or "status") changed from `old` to `new` (a lead of None is nobody), with the
    reason given for a status change; worded by incidents.notices.desk_change_email.
    The open desk seats it reads stay on `incident` (`open_desk_seats`, as the selectors
    load them), so an answer built from it does not read them again: a change that moves
    seats afterwards in the same transaction updates them."""
    if not hasattr(incident, "open_desk_seats"):
        incident.open_desk_seats = selectors.desk_seats_of(incident)
    recipients = [
        member.email
        for member, _ in selectors.incident_desk(incident)
        if member.email and member.pk != getattr(actor, "pk", None)
    ]
    if not recipients:
        return
    change = {"field": field, "from": old, "to": new}
    if reason:
        change["reason"] = reason
    emit(
        topic=DESK_CHANGE_TOPIC,
        payload={
            "incident": incident_facts(incident),
            "actor": getattr(actor, "display_name", ""),
            "change": change,
        },
        staff_emails=recipients,
    )

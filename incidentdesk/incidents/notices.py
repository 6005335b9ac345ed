"""What incidents tell the team through the notification engine, registered from
IncidentsConfig.ready(): the responders-desk announcement of a new incident, and its variant
for an assignee joining an incident's desk; the desk's notice of a change of lead, severity or
status; the reminder on the day blocked work was to resume.

`incident_declare` emits, in its own transaction:

    emit(topic="incident.declared", payload=desk_announcement_payload(incident),
         staff_emails=desk_announcement_recipients(incident))

The words are written at fan-out, right after the declaration commits, so roles given in the
same transaction (lead, assignees) are in the email; they are then stored on the event, so
every retry sends the same text. The change notices and the resume reminders carry what
happened (the incident's facts, who changed what from what to what) and are worded when they
are emitted, by the templates in incidents/templates/incidents/email/."""

from datetime import date

from django.conf import settings
from django.template.loader import render_to_string

from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import Incident, IncidentKind, IncidentStatus
from incidentdesk.notifications import registry

DECLARED_TOPIC = "incident.declared"
DESK_JOINED_TOPIC = "incident.desk_joined"
DESK_CHANGE_TOPIC = "incident.desk_change"
RESUME_DUE_TOPIC = "incident.resume_due"
DESK_WELCOME = "welcome"  # the announcement's variant for an assignee joining the desk


def desk_announcement_payload(incident: Incident) -> dict:
    """The data of a desk announcement: worded after commit, by `desk_announcement_email`."""
    return {"incident_id": incident.pk}


def desk_announcement_recipients(incident: Incident | None = None) -> list[str]:
    """Every active desk member with an email address, each told separately; for a restricted
    incident only those who may see it."""
    return selectors.responders_desk_emails(incident)


def _announcement_words(incident: Incident, welcome: bool) -> tuple[str, str]:
    """(what happened, the email's first line) for a new incident or a newly seated assignee."""
    retrospective = incident.kind == IncidentKind.RETROSPECTIVE
    if welcome:
        intro = (
            f"You joined the desk of {incident.reference} — {incident.title}, as an assignee. "
            "You are told about its changes until it is resolved."
        )
        return "you joined the desk", intro
    if retrospective:
        intro = (
            f"An incident was reported after the fact (retrospective, already resolved): "
            f"{incident.reference} — {incident.title}"
        )
        return "reported after the fact (retrospective)", intro
    return "declared", f"A new incident was declared: {incident.reference} — {incident.title}"


def desk_announcement_email(payload: dict) -> dict:
    """Subject and text telling the desk about a new incident (a retrospective one marked as
    such), or an assignee about the incident whose desk they joined: description, lead,
    assignees, tracker link and a link to it."""
    incident = selectors.incident_for_announcement(int(payload.get("incident_id") or 0))
    if incident is None:
        return {"subject": "An incident was declared and then removed", "text": ""}
    what, intro = _announcement_words(incident, payload.get("for") == DESK_WELCOME)
    context = {
        "incident": incident,
        "intro": intro,
        "holders": selectors.current_role_holders(incident),
        "url": f"{settings.BASE_URL}/incidents/{incident.reference}",
        "welcome": payload.get("for") == DESK_WELCOME,
    }
    return {
        "subject": f"[{incident.severity.name}] {incident.reference} {what}: {incident.title}",
        "text": render_to_string("incidents/email/desk_announcement.txt", context),
    }


def incident_facts(incident: Incident) -> dict:
    """What a notice says about the incident, as it is when the notice is emitted."""
    return {
        "reference": incident.reference,
        "title": incident.title,
        "severity": incident.severity.name,
        "status": incident.status,
        "status_reason": incident.status_reason,
    }


def _url(reference: str) -> str:
    return f"{settings.BASE_URL}/incidents/{reference}"


def _subject(template: str, context: dict) -> str:
    return render_to_string(template, context).strip()


def desk_change_email(data: dict) -> dict:
    """Subject and text telling the desk that the lead, severity or status changed: `change`
    is {"field": "lead" | "severity" | "status", "from", "to", "reason"?} (a lead of None is
    nobody), `actor` who changed it (empty: the system)."""
    status = data["incident"]["status"]
    context = {
        **data,
        "status_label": IncidentStatus(status).label,
        "actor": data.get("actor") or "the system",
        "url": _url(data["incident"]["reference"]),
    }
    return {
        "subject": _subject("incidents/email/desk_change_subject.txt", context),
        "text": render_to_string("incidents/email/desk_change.txt", context),
    }


def resume_due_email(data: dict) -> dict:
    """Subject and text reminding the lead that work on a blocked incident was to resume on
    `resume_on` (`today`: the day the reminder is sent)."""
    resume_on, today = date.fromisoformat(data["resume_on"]), date.fromisoformat(data["today"])
    context = {
        "incident": data["incident"],
        "status_label": IncidentStatus(data["incident"]["status"]).label,
        "resume_on": resume_on,
        "today": resume_on == today,
        "late_days": (today - resume_on).days,
        "url": _url(data["incident"]["reference"]),
    }
    return {
        "subject": _subject("incidents/email/resume_due_subject.txt", context),
        "text": render_to_string("incidents/email/resume_due.txt", context),
    }


def register() -> None:
    for topic in (DECLARED_TOPIC, DESK_JOINED_TOPIC):
        registry.register_renderer(topic, "email", desk_announcement_email, when="fan_out")
    registry.register_renderer(DESK_CHANGE_TOPIC, "email", desk_change_email, when="emit")
    registry.register_renderer(RESUME_DUE_TOPIC, "email", resume_due_email, when="emit")

"""Running one command of the command language against an incident."""

from dataclasses import dataclass, field
from datetime import date

from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import rules
from incidentdesk.incidents.commands import help_text, parse
from incidentdesk.incidents.models import EntryKind, Incident, IncidentRole, IncidentStatus
from incidentdesk.incidents.selectors import current_role_holders
from incidentdesk.incidents.services.access import incident_invite, incident_uninvite
from incidentdesk.incidents.services.actions import action_item_create
from incidentdesk.incidents.services.incidents import incident_update
from incidentdesk.incidents.services.lifecycle import (
    incident_close,
    incident_resolve,
    incident_set_status,
)
from incidentdesk.incidents.services.roles import role_assign, role_warnings
from incidentdesk.incidents.services.timeline import timeline_entry_add

ROLE_COMMANDS = {
    "lead": IncidentRole.LEAD,
    "scribe": IncidentRole.SCRIBE,
    "comms": IncidentRole.COMMS_LEAD,
    "assign": IncidentRole.ASSIGNEE,
}
ENTRY_COMMANDS = {"decision": EntryKind.DECISION, "note": EntryKind.NOTE}
INTERNAL_ONLY = "--internal-only"  # `resolve --internal-only …` leaves the status page alone


@dataclass
class CommandResult:
    reply: str
    incident: Incident
    warnings: list[str] = field(default_factory=list)


def command_run(*, actor, source: ActionSource, incident: Incident, text: str) -> CommandResult:
    """Parse `text` and call the service it names. Raises the service's errors unchanged, so
    every adapter reports them the same way; unknown input raises with the help text."""
    command = parse(text)
    keyword, arg = command.keyword, command.argument
    warnings: list[str] = []
    if keyword == "help":
        return CommandResult(help_text(), incident)
    if keyword in ("summary", "impact"):
        incident = incident_update(
            actor=actor, source=source, incident=incident, changes={keyword: arg}
        )
        reply = f"{keyword.title()} updated."
    elif keyword == "sev":
        incident = incident_update(
            actor=actor, source=source, incident=incident, changes={"severity": arg}
        )
        reply = f"Severity is now {incident.severity.name}."
    elif keyword == "status":
        status, _, reason = arg.partition(" ")
        incident = incident_set_status(
            actor=actor, source=source, incident=incident, status=status, reason=reason.strip()
        )
        reply = f"Status is now {incident.status}."
    elif keyword in ROLE_COMMANDS:
        user = user_by_handle(arg)
        role_assign(
            actor=actor, source=source, incident=incident, role=ROLE_COMMANDS[keyword], user=user
        )
        warnings = role_warnings(current_role_holders(incident))
        reply = f"{user.display_name} is now {ROLE_COMMANDS[keyword].label.lower()}."
    elif keyword in ("invite", "uninvite"):
        user = user_by_handle(arg)
        change = incident_invite if keyword == "invite" else incident_uninvite
        change(actor=actor, source=source, incident=incident, user=user)
        reply = (
            f"{user.display_name} is invited."
            if keyword == "invite"
            else f"{user.display_name}'s invitation is withdrawn."
        )
    elif keyword == "action":
        item = action_item_create(actor=actor, source=source, incident=incident, title=arg)
        reply = f"Action item added: {item.title}"
    elif keyword in ENTRY_COMMANDS:
        timeline_entry_add(
            actor=actor, source=source, incident=incident, kind=ENTRY_COMMANDS[keyword], body=arg
        )
        reply = f"{keyword.title()} recorded."
    elif keyword == "statuspage":
        reply = _statuspage(actor=actor, source=source, incident=incident, text=arg)
    elif keyword == "resolve":
        flag, _, rest = arg.partition(" ")
        internal = flag.lower() == INTERNAL_ONLY
        incident = incident_resolve(
            actor=actor,
            source=source,
            incident=incident,
            message=rest.strip() if internal else arg,
            resolve_publicly=not internal,
        )
        reply = f"{incident.reference} is resolved."
    elif keyword == "unblock":
        target, _, reason = arg.partition(" ")
        if target.lower() not in IncidentStatus.values:
            target, reason = rules.UNBLOCK, arg
        incident = incident_set_status(
            actor=actor, source=source, incident=incident, status=target, reason=reason.strip()
        )
        reply = f"{incident.reference} is unblocked: {incident.status}."
    else:  # close
        first, _, rest = arg.partition(" ")
        resume_on = _date_or_none(first)
        incident = incident_close(
            actor=actor,
            source=source,
            incident=incident,
            reason=rest.strip() if resume_on else arg,
            blocked_until=resume_on,
        )
        reply = f"{incident.reference} is {incident.get_status_display().lower()}."
    return CommandResult(reply, incident, warnings)


def _date_or_none(word: str) -> date | None:
    try:
        return date.fromisoformat(word) if len(word) == 10 else None
    except ValueError:
        return None


def _statuspage(*, actor, source: ActionSource, incident: Incident, text: str) -> str:
    """Publish the incident (`public name | message`) or post an update to its publication.
    The public name is never taken from the internal title: it is asked for explicitly."""
    from incidentdesk.statuspage import services as statuspage
    from incidentdesk.statuspage.models import PublicIncident

    publication = PublicIncident.objects.filter(incident=incident).first()
    if publication is None:
        name, bar, message = text.partition("|")
        if not bar:
            raise ValidationError(
                "the first publication needs a public name: statuspage <public name> | <message>",
                field="text",
            )
        publication = statuspage.publication_create(
            actor=actor,
            source=source,
            incident=incident,
            name=name.strip(),
            message=message.strip(),
        )
        return f"Published on the status page as “{publication.name}” ({publication.status})."
    statuspage.publication_update(
        actor=actor, source=source, public_incident=publication, message=text
    )
    return "Status page updated."

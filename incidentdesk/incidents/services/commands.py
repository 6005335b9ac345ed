"""Running one command of the command language against an incident, and the incidents' own
commands (registered here; the module is imported by IncidentsConfig.ready())."""

from datetime import date

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import rules
from incidentdesk.incidents.commands import (
    CommandCall,
    CommandResult,
    CommandSpec,
    help_text,
    parse,
    register,
    registry,
)
from incidentdesk.incidents.models import EntryKind, Incident, IncidentRole, IncidentStatus
from incidentdesk.incidents.selectors import holders_by_role
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

__all__ = ["CommandResult", "command_run"]

ROLE_COMMANDS = {
    "lead": IncidentRole.LEAD,
    "scribe": IncidentRole.SCRIBE,
    "comms": IncidentRole.COMMS_LEAD,
    "assign": IncidentRole.ASSIGNEE,
}
ENTRY_COMMANDS = {"decision": EntryKind.DECISION, "note": EntryKind.NOTE}
INTERNAL_ONLY = "--internal-only"  # `resolve --internal-only …` leaves the status page alone


def command_run(*, actor, source: ActionSource, incident: Incident, text: str) -> CommandResult:
    """Parse `text`, check the command's permission and run its handler, which calls the
    service it names. Raises the service's errors unchanged, so every adapter reports them the
    same way; unknown input raises with the help text."""
    command = parse(text)
    spec = registry.find(command.keyword)
    assert spec is not None  # parse() only returns registered keywords
    if spec.permission is not None:
        require(actor, spec.permission)
    call = CommandCall(
        actor=actor,
        source=source,
        incident=incident,
        keyword=command.keyword,
        argument=command.argument,
    )
    return spec.handler(call)


# The incidents' own commands ---------------------------------------------------------------


def _help(call: CommandCall) -> CommandResult:
    return CommandResult(help_text(), call.incident)


def _field(call: CommandCall) -> CommandResult:
    incident = incident_update(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        changes={call.keyword: call.argument},
    )
    return CommandResult(f"{call.keyword.title()} updated.", incident, fresh=True)


def _severity(call: CommandCall) -> CommandResult:
    incident = incident_update(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        changes={"severity": call.argument},
    )
    return CommandResult(f"Severity is now {incident.severity.name}.", incident, fresh=True)


def _status(call: CommandCall) -> CommandResult:
    status, _, reason = call.argument.partition(" ")
    incident = incident_set_status(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        status=status,
        reason=reason.strip(),
    )
    return CommandResult(f"Status is now {incident.status}.", incident, fresh=True)


def _role(call: CommandCall) -> CommandResult:
    role = ROLE_COMMANDS[call.keyword]
    user = user_by_handle(call.argument)
    assignment = role_assign(
        actor=call.actor, source=call.source, incident=call.incident, role=role, user=user
    )
    # Read and locked by role_assign, as it left it, with the holders after the change.
    incident = assignment.incident
    warnings = role_warnings(holders_by_role(incident.current_roles))
    reply = f"{user.display_name} is now {role.label.lower()}."
    return CommandResult(reply, incident, warnings, fresh=True)


def _invite(call: CommandCall) -> CommandResult:
    user = user_by_handle(call.argument)
    incident_invite(actor=call.actor, source=call.source, incident=call.incident, user=user)
    return CommandResult(f"{user.display_name} is invited.", call.incident)


def _uninvite(call: CommandCall) -> CommandResult:
    user = user_by_handle(call.argument)
    incident_uninvite(actor=call.actor, source=call.source, incident=call.incident, user=user)
    return CommandResult(f"{user.display_name}'s invitation is withdrawn.", call.incident)


def _action(call: CommandCall) -> CommandResult:
    item = action_item_create(
        actor=call.actor, source=call.source, incident=call.incident, title=call.argument
    )
    return CommandResult(f"Action item added: {item.title}", call.incident)


def _entry(call: CommandCall) -> CommandResult:
    timeline_entry_add(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        kind=ENTRY_COMMANDS[call.keyword],
        body=call.argument,
    )
    # timeline_entry_add brought the incident up to date inside its transaction.
    return CommandResult(f"{call.keyword.title()} recorded.", call.incident, fresh=True)


def _resolve(call: CommandCall) -> CommandResult:
    flag, _, rest = call.argument.partition(" ")
    internal = flag.lower() == INTERNAL_ONLY
    incident = incident_resolve(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        message=rest.strip() if internal else call.argument,
        resolve_publicly=not internal,
    )
    return CommandResult(f"{incident.reference} is resolved.", incident, fresh=True)


def _unblock(call: CommandCall) -> CommandResult:
    target, _, reason = call.argument.partition(" ")
    if target.lower() not in IncidentStatus.values:
        target, reason = rules.UNBLOCK, call.argument
    incident = incident_set_status(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        status=target,
        reason=reason.strip(),
    )
    return CommandResult(
        f"{incident.reference} is unblocked: {incident.status}.", incident, fresh=True
    )


def _close(call: CommandCall) -> CommandResult:
    first, _, rest = call.argument.partition(" ")
    resume_on = _date_or_none(first)
    incident = incident_close(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        reason=rest.strip() if resume_on else call.argument,
        blocked_until=resume_on,
    )
    return CommandResult(
        f"{incident.reference} is {incident.get_status_display().lower()}.", incident, fresh=True
    )


def _date_or_none(word: str) -> date | None:
    try:
        return date.fromisoformat(word) if len(word) == 10 else None
    except ValueError:
        return None


for _spec in (
    CommandSpec(
        "summary",
        "text",
        True,
        "replace the internal summary",
        _field,
        Perm.INCIDENT_UPDATE,
        order=10,
        hint=4,
        example="summary Writes fail since the failover",
    ),
    CommandSpec(
        "impact",
        "text",
        True,
        "say what users see",
        _field,
        Perm.INCIDENT_UPDATE,
        order=20,
        hint=5,
        example="impact Checkout is unavailable",
    ),
    CommandSpec(
        "sev",
        "level",
        True,
        "change the severity (e.g. critical, sev1, 1)",
        _severity,
        Perm.INCIDENT_UPDATE,
        aliases=("severity",),
        order=30,
        hint=6,
        example="sev critical",
    ),
    CommandSpec(
        "status",
        "status [reason]",
        True,
        "change the status (e.g. identified, blocked <why>)",
        _status,
        Perm.INCIDENT_UPDATE,
        order=40,
        hint=7,
        example="status identified",
    ),
    CommandSpec(
        "lead",
        "person",
        True,
        "make someone the lead",
        _role,
        Perm.ROLE_ASSIGN,
        aliases=("commander",),
        order=50,
        hint=8,
        example="lead bob",
    ),
    CommandSpec(
        "scribe",
        "person",
        True,
        "make someone the scribe",
        _role,
        Perm.ROLE_ASSIGN,
        order=60,
        hint=9,
        example="scribe bob",
    ),
    CommandSpec(
        "comms",
        "person",
        True,
        "make someone the communications lead",
        _role,
        Perm.ROLE_ASSIGN,
        aliases=("comms_lead",),
        order=70,
        hint=10,
    ),
    CommandSpec(
        "assign",
        "person",
        True,
        "add an assignee",
        _role,
        Perm.ROLE_ASSIGN,
        order=80,
        hint=11,
        example="assign bob",
    ),
    CommandSpec(
        "invite",
        "person",
        True,
        "let someone see this restricted incident",
        _invite,
        Perm.INCIDENT_INVITE,
        order=90,
    ),
    CommandSpec(
        "uninvite",
        "person",
        True,
        "withdraw someone's invitation",
        _uninvite,
        Perm.INCIDENT_INVITE,
        order=100,
    ),
    CommandSpec(
        "action",
        "text",
        True,
        "add an action item",
        _action,
        Perm.ACTION_WRITE,
        order=110,
        hint=3,
        example="action Add an alert on replication lag",
    ),
    CommandSpec(
        "decision",
        "text",
        True,
        "record a decision",
        _entry,
        Perm.TIMELINE_WRITE,
        order=120,
        hint=2,
        example="decision Roll back release 2026.11.3",
    ),
    CommandSpec(
        "note",
        "text",
        True,
        "add a note to the timeline",
        _entry,
        Perm.TIMELINE_WRITE,
        order=130,
        hint=1,
        example="note Primary failed over to the replica",
    ),
    # 140: `statuspage`, registered by the status page (statuspage/commands.py)
    CommandSpec(
        "resolve",
        "message",
        False,
        "resolve the incident, and its open status page publication with the message as the "
        "public one (`resolve --internal-only message` leaves the status page as it is)",
        _resolve,
        Perm.INCIDENT_UPDATE,
        order=150,
        hint=12,
        example="resolve Error rate back to normal",
    ),
    CommandSpec(
        "unblock",
        "[status] [reason]",
        False,
        "leave blocked: back to the status before it, or the one named",
        _unblock,
        Perm.INCIDENT_UPDATE,
        order=160,
        hint=13,
    ),
    CommandSpec(
        "close",
        "[YYYY-MM-DD] [reason]",
        False,
        "close a resolved incident; a blocked one until work resumes on the date",
        # The lead may close a blocked incident; the final close needs a manager (the
        # service checks which).
        _close,
        Perm.INCIDENT_UPDATE,
        order=170,
        hint=14,
    ),
    CommandSpec(
        "help", "", False, "list the commands", _help, None, aliases=("?",), order=1000, hint=15
    ),
):
    register(_spec)

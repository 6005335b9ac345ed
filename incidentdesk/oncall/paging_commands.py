"""The paging commands of the command language (incidents/commands.py), registered when
triggers.register() imports this module from OncallConfig.ready():

    page [person|schedule|policy] [message]   page for this incident (no target: the on-call lead)
    ack                                       acknowledge this incident's pages
"""

from incidentdesk.accounts.permissions import Perm
from incidentdesk.incidents.commands import CommandCall, CommandResult, CommandSpec, register
from incidentdesk.oncall import doors
from incidentdesk.oncall.paging import incident_pages_acknowledge, page_create


def page_command(call: CommandCall) -> CommandResult:
    """`page` pages the default policy (the on-call lead); `page ada disk full` pages ada with
    the message "disk full"; a first word naming no person, schedule or policy is part of the
    message (write `@name` to insist on a person)."""
    target, message = doors.split_target(call.argument)
    page = page_create(
        actor=call.actor, source=call.source, incident=call.incident, message=message, **target
    )
    if page.policy is not None:
        who = f"the escalation policy {page.policy.name}"
    elif "person" in target:
        who = target["person"].display_name
    else:
        who = f"whoever is on call in {target['schedule'].name}"
    return CommandResult(f"Paged {who} (page {page.pk}).", call.incident)


def ack_command(call: CommandCall) -> CommandResult:
    """Acknowledge every page of the incident still waiting, and the incident itself."""
    pages = incident_pages_acknowledge(actor=call.actor, source=call.source, incident=call.incident)
    if not pages:
        return CommandResult("No page was waiting; the incident is acknowledged.", call.incident)
    numbers = ", ".join(str(page.pk) for page in pages)
    plural = "s" if len(pages) > 1 else ""
    return CommandResult(
        f"Acknowledged page{plural} {numbers}: the escalation has stopped.", call.incident
    )


register(
    CommandSpec(
        "page",
        "[person|schedule|policy] [message]",
        False,
        "page someone for this incident; with no one named, the on-call lead (default policy)",
        page_command,
        Perm.INCIDENT_DECLARE,
        order=95,  # after invite and uninvite, before action
        example="page bob Checkout errors are climbing",
    )
)
register(
    CommandSpec(
        "ack",
        "",
        False,
        "acknowledge this incident's pages: you are on it, the escalation stops",
        ack_command,
        None,  # the service decides: whoever was paged, or a responder
        aliases=("acknowledge",),
        order=96,
        example="ack",
    )
)

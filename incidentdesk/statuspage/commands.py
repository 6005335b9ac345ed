"""The status page's command, `statuspage <message>`, registered with the command language
(incidents/commands.py); StatuspageConfig.ready() imports this module."""

from incidentdesk.accounts.permissions import Perm
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.commands import CommandCall, CommandResult, CommandSpec, register
from incidentdesk.statuspage import services
from incidentdesk.statuspage.models import PublicIncident


def statuspage_command(call: CommandCall) -> CommandResult:
    """Publish the incident (`public name | message`) or post an update to its publication.
    The public name is never taken from the internal title: it is asked for explicitly."""
    publication = PublicIncident.objects.filter(incident=call.incident).first()
    if publication is None:
        name, bar, message = call.argument.partition("|")
        if not bar:
            raise ValidationError(
                "the first publication needs a public name: statuspage <public name> | <message>",
                field="text",
            )
        publication = services.publication_create(
            actor=call.actor,
            source=call.source,
            incident=call.incident,
            name=name.strip(),
            message=message.strip(),
        )
        reply = f"Published on the status page as “{publication.name}” ({publication.status})."
        return CommandResult(reply, call.incident)
    services.publication_update(
        actor=call.actor, source=call.source, public_incident=publication, message=call.argument
    )
    return CommandResult("Status page updated.", call.incident)


register(
    CommandSpec(
        "statuspage",
        "message",
        True,
        "tell the public: the first time `public name | message` publishes, then updates",
        statuspage_command,
        Perm.STATUSPAGE_PUBLISH,
        order=140,  # after `note`, before `resolve`
        example="statuspage Checkout errors | We are investigating failed checkouts",
    )
)

import sys

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import EXIT_BAD_INPUT, SOURCE
from incidentdesk.incidents import services
from incidentdesk.incidents.commands import UnknownCommand
from incidentdesk.incidents.management.render import incident_json, incident_or_error


class Command(CliCommand):
    help = 'Run one command of the command language on an incident, e.g. say REF "note hi".'

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="REF")
        parser.add_argument(
            "text",
            nargs="+",
            metavar="COMMAND",
            help='the command, e.g. "lead alice" (see docs/commands.md)',
        )
        parser.add_argument("--json", action="store_true", help="print the reply as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        incident = incident_or_error(options["reference"], actor)
        text = " ".join(options["text"])
        try:
            result = services.command_run(actor=actor, source=SOURCE, incident=incident, text=text)
        except UnknownCommand as exc:
            # The one error allowed several lines: the help text says what would have worked.
            self.stderr.write(f"error: {exc.message}")
            if self._called_from_command_line:
                sys.exit(EXIT_BAD_INPUT)
            raise
        if options["json"]:
            incident = incident_or_error(result.incident.reference, actor)
            self.print_json(
                {
                    "reply": result.reply,
                    "warnings": result.warnings,
                    "incident": incident_json(incident),
                }
            )
            return
        self.stdout.write(result.reply)
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")

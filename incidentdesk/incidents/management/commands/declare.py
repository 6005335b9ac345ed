from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.incidents import services
from incidentdesk.incidents.management.fields import add_field_options, given_fields
from incidentdesk.incidents.management.render import incident_json, incident_or_error
from incidentdesk.incidents.models import IncidentKind


class Command(CliCommand):
    help = "Declare an incident and print its reference."

    def add_arguments(self, parser):
        parser.add_argument("--title", required=True, help="a short title")
        parser.add_argument(
            "--severity", required=True, help="key, name, alias or position (critical, sev1, 1)"
        )
        parser.add_argument(
            "--kind",
            choices=IncidentKind.values,
            default=IncidentKind.LIVE,
            help="live (default), or retrospective for one reported after the fact",
        )
        parser.add_argument(
            "--lead", action="store_true", help="the declarer (--as) becomes the lead too"
        )
        add_field_options(parser, for_update=False)
        parser.add_argument("--json", action="store_true", help="print the incident as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        incident = services.incident_declare(
            actor=actor,
            source=SOURCE,
            title=options["title"],
            severity=options["severity"],
            kind=options["kind"],
            lead=options["lead"],
            **given_fields(options),
        )
        if options["json"]:
            self.print_json(incident_json(incident_or_error(incident.reference, actor)))
        else:
            self.stdout.write(incident.reference)

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.incidents import services
from incidentdesk.incidents.management.render import incident_json, incident_or_error


class Command(CliCommand):
    help = (
        "Resolve an incident, with an optional closing message; an open status page "
        "publication is resolved with it (the message is published) unless --internal-only."
    )

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="REF")
        parser.add_argument(
            "--message", default="", help="what fixed it: the timeline's and the public message"
        )
        parser.add_argument(
            "--internal-only",
            action="store_true",
            help="leave the status page publication as it is",
        )
        parser.add_argument("--json", action="store_true", help="print the incident as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        incident = incident_or_error(options["reference"], actor)
        incident = services.incident_resolve(
            actor=actor,
            source=SOURCE,
            incident=incident,
            message=options["message"],
            resolve_publicly=not options["internal_only"],
        )
        if options["json"]:
            self.print_json(incident_json(incident_or_error(incident.reference, actor)))
        else:
            self.stdout.write(f"{incident.reference} is resolved.")

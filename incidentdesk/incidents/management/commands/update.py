from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents import services
from incidentdesk.incidents.management.fields import add_field_options, given_fields
from incidentdesk.incidents.management.render import incident_json, incident_or_error


class Command(CliCommand):
    help = "Change an incident's fields; only the options given are changed."

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="REF")
        add_field_options(parser, for_update=True)
        parser.add_argument("--json", action="store_true", help="print the incident as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        changes = given_fields(options)
        if not changes:
            raise ValidationError("give at least one field to change (see --help)", field="update")
        actor = self.actor(options)
        incident = incident_or_error(options["reference"], actor)
        before = incident.updated_at
        incident = services.incident_update(
            actor=actor, source=SOURCE, incident=incident, changes=changes
        )
        incident = incident_or_error(incident.reference, actor)
        if options["json"]:
            self.print_json(incident_json(incident))
        elif incident.updated_at == before:
            self.stdout.write(f"{incident.reference}: nothing changed.")
        else:
            self.stdout.write(f"{incident.reference} updated: {', '.join(changes)}.")

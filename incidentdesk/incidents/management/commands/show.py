from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.incidents.management.render import (
    actions_json,
    incident_json,
    incident_or_error,
    incident_text,
    timeline_json,
)


class Command(CliCommand):
    help = "Show an incident: fields, roles, key times and measured durations, action items."

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="REF", help="e.g. INC-2026-0042")
        parser.add_argument("--timeline", action="store_true", help="also show the timeline")
        parser.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        incident = incident_or_error(options["reference"], self.viewer(options))
        if not options["json"]:
            self.stdout.write(incident_text(incident, with_timeline=options["timeline"]))
            return
        data = incident_json(incident)
        data["action_items"] = actions_json(incident)
        if options["timeline"]:
            data["timeline"] = timeline_json(incident)
        self.print_json(data)

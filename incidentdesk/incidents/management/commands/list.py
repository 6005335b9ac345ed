from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import format_when
from incidentdesk.incidents import selectors
from incidentdesk.incidents.management.render import incident_json
from incidentdesk.incidents.models import IncidentRole, IncidentStatus
from incidentdesk.incidents.services import severity_lookup


class Command(CliCommand):
    help = "List incidents, newest first."

    def add_arguments(self, parser):
        parser.add_argument(
            "--status",
            choices=["open", *IncidentStatus.values],
            default="",
            help="only this status; 'open' means any open status",
        )
        parser.add_argument("--severity", default="", help="only this severity")
        parser.add_argument(
            "--q", default="", metavar="TEXT", help="search reference, title, summary"
        )
        parser.add_argument("--limit", type=int, default=25, help="at most this many (default 25)")
        parser.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        severity = severity_lookup(options["severity"]).key if options["severity"] else ""
        incidents = selectors.incident_list(
            viewer=self.viewer(options),
            query=options["q"].strip(),
            status=options["status"],
            severity=severity,
        )[: max(options["limit"], 0)]
        if options["json"]:
            self.print_json([incident_json(i) for i in incidents])
            return
        rows = [
            (
                i.reference,
                i.severity.key,
                i.status,
                i.title,
                ", ".join(
                    r.user.display_name for r in i.current_roles if r.role == IncidentRole.LEAD
                )
                or "-",
                format_when(i.declared_at),
            )
            for i in incidents
        ]
        self.print_table(("REF", "SEVERITY", "STATUS", "TITLE", "LEAD", "DECLARED"), rows)

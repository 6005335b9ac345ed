from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.core.errors import ValidationError
from incidentdesk.oncall import doors, page_selectors, paging


class Command(CliCommand):
    help = "Acknowledge a page (stops its escalation), or every open page of an incident."
    field_options = {"page": "PAGE_ID", "incident": "--incident"}

    def add_arguments(self, parser):
        parser.add_argument("page_id", nargs="?", type=int, metavar="PAGE_ID")
        parser.add_argument(
            "--incident", metavar="REF", help="acknowledge every open page of this incident"
        )
        parser.add_argument("--json", action="store_true", help="print the pages as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        if (options["page_id"] is None) == (not options["incident"]):
            raise ValidationError("give a PAGE_ID or --incident REF (one of them)", field="page")
        actor = self.actor(options)
        if options["page_id"] is not None:
            page = doors.visible_page(actor, options["page_id"])
            pages = [paging.page_acknowledge(actor=actor, source=SOURCE, page=page)]
        else:
            incident = doors.incident_named(options["incident"], viewer=actor)
            pages = paging.incident_pages_acknowledge(actor=actor, source=SOURCE, incident=incident)
        if options["json"]:
            self.print_json([page_selectors.page_data(page) for page in pages])
            return
        if not pages:
            self.stdout.write(f"No page of {options['incident']} was waiting; it is acknowledged.")
        for page in pages:
            who = page.acknowledged_by.username if page.acknowledged_by else actor.username
            self.stdout.write(f"Page {page.pk} is acknowledged by {who}: {page.summary}")

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.alerts import selectors, services
from incidentdesk.core.cli import SOURCE, format_when

LISTED = 200  # groups a listing shows at most (open first, newest activity first)


class Command(CliCommand):
    help = "Alert groups: alerts list | show | ack | resolve."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        listing = actions.add_parser("list", help="alert groups, open first, newest activity")
        listing.add_argument("--status", choices=selectors.GROUP_FILTERS, default="open")
        listing.add_argument("--integration", type=int, metavar="ID")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        show = actions.add_parser("show", help="a group with its alerts")
        show.add_argument("group_id", type=int, metavar="ID")
        show.add_argument("--json", action="store_true")
        self.add_actor_argument(show)

        acts = {
            "ack": "acknowledge a group (and its waiting pages)",
            "resolve": "resolve a group by hand (its waiting pages cancelled)",
        }
        for name, what in acts.items():
            acting = actions.add_parser(name, help=what)
            acting.add_argument("group_id", type=int, metavar="ID")
            self.add_actor_argument(acting)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _list(self, options):
        status = "" if options["status"] == "any" else options["status"]
        groups = selectors.groups_for(
            self.actor(options), status=status, integration=options["integration"]
        )[:LISTED]
        found = [selectors.group_data(g) for g in groups]
        if options["json"]:
            self.print_json(found)
            return
        rows = [
            (
                g["id"],
                g["status"],
                g["alert_count"],
                g["integration_name"],
                format_when(g["last_seen_at"]),
                g["incident"] or "-",
                g["summary"] or g["group_key"],
            )
            for g in found
        ]
        headers = ("ID", "STATUS", "ALERTS", "INTEGRATION", "LAST", "INCIDENT", "SUMMARY")
        self.print_table(headers, rows)

    def _show(self, options):
        group = selectors.group_for(self.actor(options), options["group_id"])
        data = selectors.group_data(group, alerts=True)
        if options["json"]:
            self.print_json(data)
            return
        self.stdout.write(f"{data['summary'] or data['group_key']} ({data['status']})")
        self.stdout.write(
            f"integration {data['integration_name']}, first {format_when(data['first_seen_at'])}"
            f", last {format_when(data['last_seen_at'])}, incident {data['incident'] or '-'}"
        )
        rows = [
            (a["key"], a["status"], a["count"], format_when(a["last_received_at"]), a["summary"])
            for a in data["alerts"]
        ]
        self.print_table(("KEY", "STATUS", "RECEIVED", "LAST", "SUMMARY"), rows)

    def _ack(self, options):
        group = services.group_acknowledge(
            actor=self.actor(options), source=SOURCE, group_id=options["group_id"]
        )
        self.stdout.write(f"Alert group {group.pk} is acknowledged.")

    def _resolve(self, options):
        group = services.group_resolve(
            actor=self.actor(options), source=SOURCE, group_id=options["group_id"]
        )
        self.stdout.write(f"Alert group {group.pk} is resolved.")

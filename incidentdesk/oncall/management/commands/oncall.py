from zoneinfo import ZoneInfo

from incidentdesk.core.cli import Command as BaseCommand
from incidentdesk.oncall import selectors


class Command(BaseCommand):
    help = "Who is on call now (or --at a time): in one schedule, or in every schedule."

    def add_arguments(self, parser):
        parser.add_argument(
            "schedule", nargs="?", metavar="SCHEDULE", help="its name or id (default: all)"
        )
        parser.add_argument("--at", metavar="ISO", help="a time with its zone (default: now)")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args, **options):
        when = selectors.parse_at(options["at"], field="--at")
        if options["schedule"]:
            schedules = [selectors.schedule_by_handle(options["schedule"])]
        else:
            schedules = list(selectors.schedules())
        found = [selectors.on_call_data(s, when) for s in schedules]
        if options["json"]:
            self.print_json(found if not options["schedule"] else found[0])
            return
        rows = [
            (
                entry["schedule"]["name"],
                person["user"] if person else "nobody",
                _local(person["until"], entry["schedule"]["time_zone"]) if person else "-",
            )
            for entry in found
            for person in (entry["on_call"] or [None])
        ]
        self.print_table(("SCHEDULE", "ON CALL", "UNTIL"), rows)


def _local(until, zone: str) -> str:
    """The end of a shift on the schedule's clock, or that it runs on."""
    if until is None:
        return "90+ days"
    return until.astimezone(ZoneInfo(zone)).isoformat(timespec="minutes")

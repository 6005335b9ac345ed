from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.oncall import doors, page_selectors, paging


class Command(CliCommand):
    help = (
        "Page a person, whoever is on call in a schedule, or by an escalation policy "
        "(no target: the default policy, the on-call lead)."
    )
    field_options = {
        "target": "TARGET",
        "person": "TARGET",
        "schedule": "TARGET",
        "policy": "TARGET",
        "incident": "--incident",
        "message": "--message",
        "summary": "--summary",
        "link": "--link",
    }

    def add_arguments(self, parser):
        parser.add_argument(
            "target",
            nargs="?",
            default="",
            metavar="TARGET",
            help="a username (or @username), a schedule's name or a policy's name",
        )
        parser.add_argument("--incident", metavar="REF", help="the incident the page is about")
        parser.add_argument("--message", default="", help="what the paged person should know")
        parser.add_argument(
            "--summary", default="", help="one line (default: the incident's reference and title)"
        )
        parser.add_argument("--link", default="", help="a link sent with the page")
        parser.add_argument("--json", action="store_true", help="print the page as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        incident = doors.incident_named(options["incident"], viewer=actor)
        target = doors.target_of(options["target"]) if options["target"].strip() else {}
        page = paging.page_create(
            actor=actor,
            source=SOURCE,
            incident=incident,
            summary=options["summary"],
            message=options["message"],
            link=options["link"],
            **target,
        )
        if options["json"]:
            self.print_json(page_selectors.page_data(page))
            return
        by = f"the escalation policy {page.policy.name}" if page.policy else target_words(target)
        self.stdout.write(f"Page {page.pk} is sent to {by}: {page.summary}")


def target_words(target: dict) -> str:
    if "person" in target:
        return target["person"].username
    if "schedule" in target:
        return f"whoever is on call in {target['schedule'].name}"
    return "the default escalation policy"

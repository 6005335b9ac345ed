from datetime import date

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents import services
from incidentdesk.incidents.management.render import incident_json, incident_or_error


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValidationError(
            f"{value!r} is not a date (YYYY-MM-DD)", field="--resume-on"
        ) from None


class Command(CliCommand):
    help = (
        "Close a resolved incident for good (managers and admins), or a blocked one until "
        "work resumes (its lead or a manager; --resume-on)."
    )
    field_options = {"blocked_until": "--resume-on"}

    def add_arguments(self, parser):
        parser.add_argument("reference", metavar="REF")
        parser.add_argument(
            "--reason", default="", help="why no postmortem is needed (where the severity allows)"
        )
        parser.add_argument(
            "--resume-on",
            metavar="YYYY-MM-DD",
            help="for a blocked incident: the day work resumes (the lead is reminded then)",
        )
        parser.add_argument("--json", action="store_true", help="print the incident as JSON")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        incident = incident_or_error(options["reference"], actor)
        incident = services.incident_close(
            actor=actor,
            source=SOURCE,
            incident=incident,
            reason=options["reason"],
            blocked_until=_day(options["resume_on"]),
        )
        if options["json"]:
            self.print_json(incident_json(incident_or_error(incident.reference, actor)))
        else:
            self.stdout.write(f"{incident.reference} is {incident.get_status_display().lower()}.")

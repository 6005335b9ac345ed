from datetime import date

from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError
from incidentdesk.postmortems.review import review_report, review_text


class Command(CliCommand):
    help = (
        "The review of improvement actions across all postmortems: done, pending, overdue and "
        "won't do by owner and by incident, the wins and the feedback."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="postmortems started since")
        parser.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        since = None
        if options["since"]:
            try:
                since = date.fromisoformat(options["since"])
            except ValueError:
                raise ValidationError("must be a date (YYYY-MM-DD)", field="since") from None
        report = review_report(viewer=self.viewer(options), since=since)
        if options["json"]:
            self.print_json(report)
        else:
            self.stdout.write(review_text(report), ending="")

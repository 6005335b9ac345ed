from datetime import date

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError
from incidentdesk.postmortems.review import review_csv, review_report, review_text


class Command(CliCommand):
    help = (
        "The review of improvement actions across all postmortems: done, pending, overdue and "
        "won't do by owner and by incident, the wins and the feedback."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", metavar="YYYY-MM-DD", help="postmortems started since")
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        output.add_argument("--csv", action="store_true", help="print the follow-ups as CSV")
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
        elif options["csv"]:
            self.stdout.write(review_csv(report), ending="")
        else:
            self.stdout.write(review_text(report), ending="")

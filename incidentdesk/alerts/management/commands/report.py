from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.alerts import reports
from incidentdesk.alerts.models import ReportStatus
from incidentdesk.alerts.reports_api import report_json
from incidentdesk.core.cli import SOURCE, format_when, split_list

LISTED = 200  # reports a listing shows at most (newest first)
STATUSES = (*ReportStatus.values, "all")


class Command(CliCommand):
    help = "Email reports in triage: report list | show | declare | attach | dismiss."
    field_options = {
        "severity": "--severity",
        "criteria": "--criteria",
        "criteria_reason": "--criteria-reason",
        "title": "--title",
        "reason": "--reason",
        "status": "--status",
    }

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        listing = actions.add_parser("list", help="reports in the queue, newest first")
        listing.add_argument(
            "--status", choices=STATUSES, default=ReportStatus.NEW, help="default: new"
        )
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        show = actions.add_parser("show", help="a report with its text and replies")
        show.add_argument("report_id", type=int, metavar="ID")
        show.add_argument("--json", action="store_true")
        self.add_actor_argument(show)

        declare = actions.add_parser("declare", help="declare an incident from a report")
        declare.add_argument("report_id", type=int, metavar="ID")
        declare.add_argument(
            "--severity", required=True, help="key, name, alias or position (critical, sev1, 1)"
        )
        declare.add_argument("--title", default="", help="default: the report's subject")
        declare.add_argument(
            "--criteria", default="", metavar="C1,C2", help="declaration criteria, comma-separated"
        )
        declare.add_argument(
            "--criteria-reason", default="", help="why it is an incident when no criterion fits"
        )
        self.add_actor_argument(declare)

        attach = actions.add_parser("attach", help="attach a report to an open incident")
        attach.add_argument("report_id", type=int, metavar="ID")
        attach.add_argument("incident", metavar="INCIDENT_REF", help="INC-2026-0042")
        self.add_actor_argument(attach)

        dismiss = actions.add_parser("dismiss", help="dismiss a report, saying why")
        dismiss.add_argument("report_id", type=int, metavar="ID")
        dismiss.add_argument("--reason", required=True, help="why it needs no incident")
        self.add_actor_argument(dismiss)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _list(self, options):
        status = None if options["status"] == "all" else options["status"]
        found = reports.reports_for(self.actor(options), status=status)[:LISTED]
        if options["json"]:
            self.print_json([report_json(r) for r in found])
            return
        rows = [
            (
                r.reference,
                r.status,
                format_when(r.received_at),
                reports.sender_line(r),
                r.incident_shown or "-",
                r.subject or "(no subject)",
            )
            for r in found
        ]
        self.print_table(("REPORT", "STATUS", "RECEIVED", "FROM", "INCIDENT", "SUBJECT"), rows)

    def _show(self, options):
        report = reports.report_for(self.actor(options), options["report_id"])
        if options["json"]:
            self.print_json(report_json(report, replies=True))
            return
        self.stdout.write(f"{report.reference} ({report.status}): {report.subject}")
        self.stdout.write(
            f"from {reports.sender_line(report)}, received {format_when(report.received_at)}"
        )
        if report.decided_at:
            who = report.decided_by.username if report.decided_by else "-"
            self.stdout.write(f"{report.status} by {who} {format_when(report.decided_at)}")
        if report.incident_shown:
            self.stdout.write(f"incident {report.incident_shown}")
        if report.dismiss_reason:
            self.stdout.write(f"reason: {report.dismiss_reason}")
        self._attachments(report.attachments)
        self.stdout.write(f"\n{report.text}")
        for reply in report.replies.all():
            when = format_when(reply.received_at)
            self.stdout.write(f"\nreply from {reports.sender_line(reply)}, received {when}")
            self._attachments(reply.attachments)
            self.stdout.write(reply.text)

    def _attachments(self, attachments: list[dict]) -> None:
        for a in attachments:
            self.stdout.write(f"attachment: {a['name']} ({a['type']}, {a['size']} bytes)")

    def _declare(self, options):
        incident = reports.report_declare(
            actor=self.actor(options),
            source=SOURCE,
            report_id=options["report_id"],
            severity=options["severity"],
            criteria=split_list(options["criteria"]),
            criteria_reason=options["criteria_reason"],
            title=options["title"],
        )
        self.stdout.write(f"{incident.reference} is declared from R-{options['report_id']}.")

    def _attach(self, options):
        incident = reports.report_attach(
            actor=self.actor(options),
            source=SOURCE,
            report_id=options["report_id"],
            incident=options["incident"],
        )
        self.stdout.write(f"R-{options['report_id']} is attached to {incident.reference}.")

    def _dismiss(self, options):
        report = reports.report_dismiss(
            actor=self.actor(options),
            source=SOURCE,
            report_id=options["report_id"],
            reason=options["reason"],
        )
        self.stdout.write(f"{report.reference} is dismissed.")

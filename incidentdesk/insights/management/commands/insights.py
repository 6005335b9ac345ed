from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.insights import export, selectors
from incidentdesk.insights.filters import parse_filters
from incidentdesk.insights.sql import METRIC_NAMES, METRICS


class Command(CliCommand):
    help = (
        "Incident insights for a period against the previous one: counts, time to detect, fix "
        "and recover (mean, median, p90 with counts), action follow-through."
    )

    def add_arguments(self, parser):
        parser.add_argument("--since", default="", help="first day, YYYY-MM-DD (default 90 days)")
        parser.add_argument("--until", default="", help="last day, YYYY-MM-DD (default today)")
        parser.add_argument("--severity", default="", help="only this severity")
        parser.add_argument("--component", default="", help="only this component")
        parser.add_argument("--taxonomy", default="", help="only this root-cause term")
        parser.add_argument(
            "--by",
            choices=selectors.BREAKDOWNS,
            default="",
            help="print a breakdown by this instead of the summary",
        )
        output = parser.add_mutually_exclusive_group()
        output.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        output.add_argument("--csv", action="store_true", help="print CSV (the API's columns)")

    def handle(self, *args, **options):
        filters = parse_filters(
            since=options["since"],
            until=options["until"],
            severity=options["severity"],
            component=options["component"],
            taxonomy=options["taxonomy"],
        )
        if options["by"]:
            data, to_csv = selectors.breakdown(filters, options["by"]), export.breakdown_csv
        else:
            data, to_csv = selectors.summary(filters), export.summary_csv
        if options["json"]:
            self.print_json(data)
        elif options["csv"]:
            self.stdout.write(to_csv(data), ending="")
        elif options["by"]:
            self._print_breakdown(data)
        else:
            self._print_summary(data)

    def _print_summary(self, data):
        now, before = data["current"], data["previous"]
        self.stdout.write(
            f"{now['since']} to {now['until']} ({data['time_zone']}): {now['incidents']} "
            f"incidents, {now['open']} open; previous period {before['since']} to "
            f"{before['until']}: {before['incidents']} incidents"
        )
        rows = []
        for metric in METRICS:
            s, p = now["durations"][metric], before["durations"][metric]
            rows.append(
                (
                    METRIC_NAMES[metric],
                    s["mean"]["text"],
                    s["median"]["text"],
                    s["p90"]["text"],
                    s["count"],
                    s["unknown"],
                    p["median"]["text"],
                )
            )
        headers = ("MEASURE", "MEAN", "MEDIAN", "P90", "N", "UNKNOWN", "PREV MEDIAN")
        self.print_table(headers, rows)
        actions = now["actions"]
        self.stdout.write(
            "actions: "
            + ", ".join(f"{k.replace('_', ' ')} {actions[k]}" for k in actions if k != "total")
        )

    def _print_breakdown(self, data):
        rows = [
            (
                r["key"],
                r["incidents"],
                r["durations"]["ttr"]["median"]["text"],
                r["durations"]["ttr"]["p90"]["text"],
            )
            for r in data["rows"]
        ]
        self.print_table((data["by"].upper(), "INCIDENTS", "TTR MEDIAN", "TTR P90"), rows)

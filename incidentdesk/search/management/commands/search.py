from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError
from incidentdesk.search import index, selectors


class Command(CliCommand):
    help = (
        "Search incidents, timeline entries, action items and postmortems, best match first "
        "(only what --as may see); --reindex rebuilds the index."
    )
    field_options = {"q": "QUERY", "kind": "--kind", "status": "--status", "page": "--limit"}

    def add_arguments(self, parser):
        parser.add_argument(
            "query",
            nargs="*",
            metavar="QUERY",
            help='words (all must appear), "a phrase", word* (a prefix), -word (must not appear)',
        )
        parser.add_argument(
            "--kind",
            action="append",
            default=[],
            choices=list(selectors.KIND_LABELS),
            help="only this kind of result (repeat for several)",
        )
        parser.add_argument(
            "--status",
            default="",
            choices=list(selectors.STATUSES),
            help="only from incidents in this status; 'open' means any open status",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=selectors.PAGE_SIZE,
            help=f"at most this many results (default {selectors.PAGE_SIZE}, "
            f"at most {selectors.MAX_PAGE_SIZE})",
        )
        parser.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        parser.add_argument(
            "--reindex",
            action="store_true",
            help="rebuild the search index from the incidents, entries, actions and postmortems "
            "(and put back any trigger that keeps it current); takes no QUERY",
        )
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        if options["reindex"]:
            return self._reindex(options)
        limit = options["limit"]
        if not 1 <= limit <= selectors.MAX_PAGE_SIZE:
            raise ValidationError(
                f"must be between 1 and {selectors.MAX_PAGE_SIZE}", field="--limit"
            )
        results = selectors.search(
            viewer=self.viewer(options),
            query=" ".join(options["query"]),
            kinds=options["kind"],
            status=options["status"],
            size=limit,
        )
        if options["json"]:
            self.print_json(selectors.results_data(results))
            return
        rows = [
            (
                hit.kind_label,
                hit.incident.reference,
                hit.section_title or hit.title or hit.incident.title,
                hit.snippet,
                hit.url,
            )
            for hit in results.hits
        ]
        self.print_table(("KIND", "INCIDENT", "TITLE", "MATCH", "LINK"), rows)
        shown = len(results.hits)
        more = f" (the first {shown} shown; --limit for more)" if results.count > shown else ""
        self.stdout.write(f"{results.count} result{'s' if results.count != 1 else ''}{more}")

    def _reindex(self, options):
        if options["query"]:
            raise ValidationError("--reindex takes no query", field="QUERY")
        if not index.supported():
            raise ValidationError("this database has no full-text index", field="--reindex")
        repaired = index.install()
        count = index.rebuild()
        note = " (missing triggers were put back)" if repaired else ""
        self.stdout.write(f"search index rebuilt: {count} rows{note}")

import sys
from pathlib import Path

from incidentdesk.core.cli import SOURCE
from incidentdesk.core.cli import Command as CliCommand
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.management.render import incident_or_error
from incidentdesk.postmortems import present, services
from incidentdesk.postmortems.pdf import to_pdf


class Command(CliCommand):
    help = "A postmortem: start | show | edit | review | export."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        start = actions.add_parser("start", help="start the postmortem of a resolved incident")
        start.add_argument("reference", metavar="REF")
        start.add_argument("--template", default="blameless")
        self.add_actor_argument(start)

        show = actions.add_parser("show", help="print the postmortem as Markdown")
        show.add_argument("reference", metavar="REF")
        show.add_argument("--json", action="store_true", help="print JSON (the API's shape)")

        edit = actions.add_parser("edit", help="change a section, the taxonomy or public text")
        edit.add_argument("reference", metavar="REF")
        edit.add_argument("--section", metavar="KEY", help="the section to write")
        text = edit.add_mutually_exclusive_group()
        text.add_argument("--text", help="the section's markdown")
        text.add_argument("--file", help="read the markdown from a file ('-' for stdin)")
        edit.add_argument("--taxonomy", help="a term or a tree: A < B < C")
        self.add_actor_argument(edit)

        review = actions.add_parser("review", help="in_review (with --reviewer), published, draft")
        review.add_argument("reference", metavar="REF")
        review.add_argument("status", choices=["in_review", "published", "draft"])
        review.add_argument("--reviewer", action="append", default=[], metavar="USERNAME")
        review.add_argument("--reason", default="")
        self.add_actor_argument(review)

        export = actions.add_parser(
            "export", help="write it as Markdown, self-contained HTML or PDF"
        )
        export.add_argument("reference", metavar="REF")
        export.add_argument("--format", choices=["markdown", "html", "pdf"], default="markdown")
        export.add_argument(
            "--output", "-o", metavar="PATH", help="a file (default: stdout; needed for pdf)"
        )

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _postmortem(self, options):
        return services.postmortem_by_reference(incident_or_error(options["reference"]))

    def _start(self, options):
        postmortem = services.postmortem_start(
            actor=self.actor(options),
            source=SOURCE,
            incident=incident_or_error(options["reference"]),
            template=options["template"],
        )
        self.stdout.write(f"started: {postmortem.incident.reference} ({postmortem.template.key})")

    def _show(self, options):
        postmortem = self._postmortem(options)
        if options["json"]:
            self.print_json(present.postmortem_json(postmortem))
        else:
            self.stdout.write(present.to_markdown(postmortem))

    def _section_text(self, options) -> str | None:
        if options["file"] is None:
            return options["text"]
        if options["file"] == "-":
            return sys.stdin.read()
        try:
            return Path(options["file"]).read_text()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"cannot read it: {exc}", field="--file") from None

    def _edit(self, options):
        changes = {}
        text = self._section_text(options)
        if (text is None) != (options["section"] is None):
            raise ValidationError("give --section KEY with --text or --file", field="--section")
        if text is not None:
            changes["sections"] = {options["section"]: text}
        if options["taxonomy"] is not None:
            changes["taxonomy"] = options["taxonomy"]
        if not changes:
            raise ValidationError(
                "nothing to change: use --section or --taxonomy", field="--section"
            )
        result = services.postmortem_edit(
            actor=self.actor(options),
            source=SOURCE,
            postmortem=self._postmortem(options),
            **changes,
        )
        self.stdout.write("saved")
        for warning in result.warnings:
            self.stderr.write(
                f"warning: {warning['field']}: {warning['phrase']!r}: {warning['message']}. "
                f"{warning['suggestion']}"
            )

    def _review(self, options):
        postmortem = services.postmortem_review(
            actor=self.actor(options),
            source=SOURCE,
            postmortem=self._postmortem(options),
            status=options["status"],
            reviewers=options["reviewer"],
            reason=options["reason"],
        )
        self.stdout.write(f"postmortem of {postmortem.incident.reference}: {postmortem.status}")

    def _export(self, options):
        if options["format"] == "pdf" and not options["output"]:
            raise ValidationError("a PDF is written to a file: pass -o FILE.pdf", field="--output")
        postmortem = self._postmortem(options)
        output: str | bytes
        if options["format"] == "pdf":
            output = to_pdf(postmortem)
        elif options["format"] == "html":
            output = present.to_html(postmortem)
        else:
            output = present.to_markdown(postmortem)
        if not options["output"]:
            self.stdout.write(str(output), ending="")
            return
        try:
            path = Path(options["output"])
            path.write_bytes(output) if isinstance(output, bytes) else path.write_text(output)
        except OSError as exc:
            raise ValidationError(f"cannot write it: {exc}", field="--output") from None
        self.stdout.write(f"written: {options['output']}")

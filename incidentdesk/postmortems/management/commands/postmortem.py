import sys
from datetime import date
from pathlib import Path

from django.conf import settings

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE, format_when
from incidentdesk.core.errors import IncidentDeskError, NotFound, ValidationError
from incidentdesk.incidents.management.render import incident_or_error
from incidentdesk.incidents.models import ActionCategory, ActionPriority
from incidentdesk.postmortems import present, services
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.followups import followup_create, followups_of
from incidentdesk.postmortems.meetings import meeting_ics, meeting_of, meeting_schedule
from incidentdesk.postmortems.pdf import to_pdf
from incidentdesk.postmortems.review import went_well_add

# The services name their own arguments in errors; these sub-commands report the option the
# user typed instead (`error: --due: must be a date`).
FLAGS: dict[str, dict[str, str]] = {
    "followup": {
        "title": "--title",
        "owner": "--owner",
        "due_date": "--due",
        "category": "--category",
        "priority": "--priority",
        "external_url": "--ticket",
        "description": "--description",
    },
    "went-well": {"text": "--text", "action_item": "--action"},
    "meeting": {
        "starts_at": "--at",
        "duration_minutes": "--duration",
        "attendees": "--attendee",
        "location": "--location",
    },
    "feedback": {
        "response_rating": "--response",
        "postmortem_rating": "--postmortem",
        "improve": "--improve",
    },
}
REF_HELP = "the incident's reference, e.g. INC-2026-0042"


class Command(CliCommand):
    help = (
        "A postmortem: start | show | edit | review | export | followup | followups | "
        "went-well | meeting | meeting-ics | feedback."
    )

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        start = actions.add_parser("start", help="start the postmortem of a resolved incident")
        start.add_argument("reference", metavar="REF")
        start.add_argument("--template", default="blameless")
        self.add_actor_argument(start)

        show = actions.add_parser("show", help="print the postmortem as Markdown")
        show.add_argument("reference", metavar="REF")
        show.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        self.add_actor_argument(show)

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
        self.add_actor_argument(export)
        self._add_improvement_actions(actions)

    def _add_improvement_actions(self, actions):
        followup = actions.add_parser("followup", help="add an improvement action (one owner)")
        followup.add_argument("reference", metavar="REF", help=REF_HELP)
        followup.add_argument("--title", required=True, help="what is to be done")
        followup.add_argument(
            "--owner", required=True, metavar="USERNAME", help="the one person who owns it"
        )
        followup.add_argument(
            "--due",
            metavar="YYYY-MM-DD",
            help="the due date (default: from the severity's policy)",
        )
        followup.add_argument(
            "--category", help=f"one of {', '.join(ActionCategory.values)} (default: none)"
        )
        followup.add_argument(
            "--priority", help=f"one of {', '.join(ActionPriority.values)} (default: medium)"
        )
        followup.add_argument("--ticket", metavar="URL", help="the external ticket")
        followup.add_argument("--description", help="more detail (markdown)")
        self.add_actor_argument(followup)

        followups = actions.add_parser("followups", help="list the improvement actions")
        followups.add_argument("reference", metavar="REF", help=REF_HELP)
        followups.add_argument("--json", action="store_true", help="print JSON (the API's shape)")
        self.add_actor_argument(followups)

        went_well = actions.add_parser("went-well", help='add a "what went well" entry')
        went_well.add_argument("reference", metavar="REF", help=REF_HELP)
        went_well.add_argument("--text", required=True, help="what went well")
        went_well.add_argument(
            "--action",
            dest="action_item",
            metavar="ID",
            help="credit an earlier incident's action item whose mitigation helped (a win)",
        )
        self.add_actor_argument(went_well)

        meeting = actions.add_parser(
            "meeting", help="schedule (or move) the root-cause meeting; invites are emailed"
        )
        meeting.add_argument("reference", metavar="REF", help=REF_HELP)
        meeting.add_argument(
            "--at",
            required=True,
            metavar='"YYYY-MM-DD HH:MM"',
            help="when it starts, in INCIDENTDESK_REPORTING_TIME_ZONE unless an offset is given",
        )
        meeting.add_argument(
            "--duration", default="60", metavar="MINUTES", help="how long (default: 60)"
        )
        meeting.add_argument(
            "--attendee",
            action="append",
            required=True,
            metavar="USERNAME",
            help="a person to invite (repeat for more)",
        )
        meeting.add_argument(
            "--location", default="", metavar="WHERE", help="the room or the call's URL"
        )
        self.add_actor_argument(meeting)

        ics = actions.add_parser("meeting-ics", help="write the meeting's iCalendar invite")
        ics.add_argument("reference", metavar="REF", help=REF_HELP)
        ics.add_argument("--output", "-o", metavar="PATH", help="a file (default: stdout)")
        self.add_actor_argument(ics)

        feedback = actions.add_parser(
            "feedback", help="rate the response and the postmortem (1-5), as the acting user"
        )
        feedback.add_argument("reference", metavar="REF", help=REF_HELP)
        feedback.add_argument(
            "--response", required=True, metavar="N", help="the incident response, 1 to 5"
        )
        feedback.add_argument(
            "--postmortem", required=True, metavar="N", help="the postmortem, 1 to 5"
        )
        feedback.add_argument("--improve", default="", metavar="TEXT", help="what to improve")
        self.add_actor_argument(feedback)

    def handle(self, *args, **options):
        action = options["action"]
        try:
            getattr(self, f"_{action.replace('-', '_')}")(options)
        except IncidentDeskError as exc:
            flag = FLAGS.get(action, {}).get(exc.field or "")
            if flag is None:
                raise
            raise type(exc)(exc.message, field=flag) from exc

    def _postmortem(self, options):
        return services.postmortem_by_reference(
            incident_or_error(options["reference"], self.viewer(options))
        )

    def _start(self, options):
        postmortem = services.postmortem_start(
            actor=self.actor(options),
            source=SOURCE,
            incident=incident_or_error(options["reference"], self.viewer(options)),
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

    # Follow-ups, wins, the root-cause meeting and feedback -------------------------------

    def _followup(self, options):
        given = {
            "category": options["category"],
            "priority": options["priority"],
            "due_date": _date(options["due"], "--due"),
            "external_url": options["ticket"],
            "description": options["description"],
        }
        item = followup_create(
            actor=self.actor(options),
            source=SOURCE,
            postmortem=self._postmortem(options),
            title=options["title"],
            owner=options["owner"],
            # Only what was given, so the service's defaults (due date by severity) apply.
            **{key: value for key, value in given.items() if value is not None},
        )
        self.stdout.write(
            f"follow-up #{item.pk}: owner {item.owner.username}, due {item.due_date.isoformat()}"
        )

    def _followups(self, options):
        items = list(followups_of(self._postmortem(options)))
        if options["json"]:
            self.print_json([present.followup_json(item) for item in items])
            return
        rows = [
            (
                item.pk,
                item.status + (" (overdue)" if item.is_overdue else ""),
                item.owner.username if item.owner else "-",
                item.due_date or "-",
                item.title,
            )
            for item in items
        ]
        self.print_table(("ID", "STATUS", "OWNER", "DUE", "TITLE"), rows)

    def _went_well(self, options):
        entry = went_well_add(
            actor=self.actor(options),
            source=SOURCE,
            postmortem=self._postmortem(options),
            text=options["text"],
            action_item=options["action_item"],
        )
        win = ""
        if entry.action_item:
            item = entry.action_item
            win = f", a win thanks to #{item.pk} of {item.incident.reference}"
        self.stdout.write(f"noted: #{entry.pk}{win}")

    def _meeting(self, options):
        meeting = meeting_schedule(
            actor=self.actor(options),
            source=SOURCE,
            postmortem=self._postmortem(options),
            # The service reads a time without an offset in the reporting time zone.
            starts_at=options["at"],
            duration_minutes=options["duration"],
            attendees=options["attendee"],
            location=options["location"],
        )
        done = "moved" if meeting.sequence else "scheduled"
        people = ", ".join(sorted(u.username for u in meeting.attendees.all()))
        self.stdout.write(
            f"meeting {done}: {format_when(meeting.starts_at)} {settings.REPORTING_TIME_ZONE}, "
            f"{meeting.duration_minutes} minutes; invitations emailed to {people}"
        )

    def _meeting_ics(self, options):
        postmortem = self._postmortem(options)
        meeting = meeting_of(postmortem)
        if meeting is None:
            raise NotFound(
                f"{postmortem.incident.reference} has no root-cause meeting scheduled "
                "(see 'incidentdesk postmortem meeting --help')",
                field="meeting",
            )
        invite = meeting_ics(meeting)
        if not options["output"]:
            self.stdout.write(invite.decode(), ending="")
            return
        try:
            Path(options["output"]).write_bytes(invite)
        except OSError as exc:
            raise ValidationError(f"cannot write it: {exc}", field="--output") from None
        self.stdout.write(f"written: {options['output']}")

    def _feedback(self, options):
        feedback = feedback_give(
            actor=self.actor(options),
            source=SOURCE,
            postmortem=self._postmortem(options),
            response_rating=options["response"],
            postmortem_rating=options["postmortem"],
            improve=options["improve"],
        )
        self.stdout.write(
            f"feedback saved: response {feedback.response_rating}/5, "
            f"postmortem {feedback.postmortem_rating}/5"
        )


def _date(value: str | None, flag: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ValidationError(f"{value!r} is not a date; use YYYY-MM-DD", field=flag) from None

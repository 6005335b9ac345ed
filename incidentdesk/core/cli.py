"""Shared pieces of the `incidentdesk` management commands.

Every command of ours subclasses `Command` here, so errors are mapped in one place:

- an `IncidentDeskError` (bad input, not found, refused, not allowed) exits 2 with one line
  `error: <field>: <problem>` on stderr;
- an argument the parser rejects exits 2 the same way;
- a database that is not set up, or any other unexpected failure, exits 1 with one line.

No traceback is printed unless `--traceback` is given.
"""

import json
import sys
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from django.conf import settings
from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    handle_default_options,
)
from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja.responses import NinjaJSONEncoder

from incidentdesk.core.errors import IncidentDeskError, ValidationError
from incidentdesk.core.moments import check_moment
from incidentdesk.core.reporting import report_time
from incidentdesk.core.sources import ActionSource

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
SOURCE = ActionSource.CLI


class JSONEncoder(NinjaJSONEncoder):
    """The API's encoder (so times are written alike), and text for anything else."""

    def default(self, o: Any) -> Any:
        try:
            return super().default(o)
        except TypeError:
            return str(o)


class OneLineParser(CommandParser):
    """An argument parser whose errors are one line and exit 2 (argparse prints the usage too)."""

    def error(self, message: str):
        if self.called_from_command_line:
            sys.stderr.write(f"error: {message} (see '{self.prog} --help')\n")
            sys.exit(EXIT_BAD_INPUT)
        raise CommandError(f"Error: {message}", returncode=EXIT_BAD_INPUT)


class Command(BaseCommand):
    """Base of IncidentDesk's commands: one error mapping, tables and JSON (a command that acts
    as someone subclasses accounts.cli.Command, which adds `--as`)."""

    # System checks print warnings that would mix with a command's output; `serve` runs them.
    requires_system_checks: list[str] | tuple[str, ...] | Literal["__all__"] = []
    # The option a command takes a service's field under, so an error about that field names
    # what the person typed: {"blocked_until": "--resume-on"}.
    field_options: Mapping[str, str] = {}

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # Django builds a plain CommandParser; ours only changes how errors are reported, so
        # swapping the class keeps every other behaviour (and subparsers inherit it).
        parser.__class__ = OneLineParser
        return parser

    def execute(self, *args: Any, **options: Any):
        try:
            return super().execute(*args, **options)
        except IncidentDeskError as exc:
            named = exc
            if exc.field and exc.field in self.field_options:
                named = type(exc)(exc.message, field=self.field_options[exc.field])
            raise CommandError(named.detail, returncode=EXIT_BAD_INPUT) from exc

    def run_from_argv(self, argv: list[str]) -> None:
        """Parse, run, and turn any failure into one line on stderr and an exit code."""
        self._called_from_command_line = True
        parser = self.create_parser(argv[0], argv[1])
        namespace = parser.parse_args(argv[2:])
        handle_default_options(namespace)
        options = vars(namespace)
        args = options.pop("args", ())
        show_traceback = options.get("traceback", False)
        try:
            self.execute(*args, **options)
        except KeyboardInterrupt:
            sys.stderr.write("\ninterrupted\n")
            sys.exit(130)
        except Exception as exc:
            if show_traceback:
                raise
            code, line = describe_failure(exc)
            sys.stdout.flush()
            sys.stderr.write(f"error: {line}\n")
            sys.exit(code)
        # Unlike Django's run_from_argv this does not close the database connections: the
        # process ends right after, and tests can run a command inside their transaction.

    def add_actions(self, parser: CommandParser):
        """Sub-commands (`user create`, `token list`…), reporting errors like the rest."""
        return parser.add_subparsers(
            dest="action", required=True, metavar="ACTION", parser_class=OneLineParser
        )

    # Output -----------------------------------------------------------------------------

    def print_json(self, data: Any) -> None:
        self.stdout.write(json.dumps(data, cls=JSONEncoder, indent=2, ensure_ascii=False))

    def print_table(self, headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        self.stdout.write(format_table(headers, rows))


def describe_failure(exc: BaseException) -> tuple[int, str]:
    """The exit code and the one line that report `exc`."""
    if isinstance(exc, CommandError):
        return exc.returncode or EXIT_FAILURE, str(exc).removeprefix("Error: ")
    if isinstance(exc, IncidentDeskError):
        return EXIT_BAD_INPUT, exc.detail
    if isinstance(exc, DatabaseError):
        text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "no such table" in text or "does not exist" in text:
            return EXIT_FAILURE, (
                f"database: {text}; set it up with 'incidentdesk migrate' "
                "(or 'incidentdesk serve', which migrates)"
            )
        return EXIT_FAILURE, f"database: {text}"
    text = str(exc).splitlines()[0] if str(exc) else ""
    return EXIT_FAILURE, f"{type(exc).__name__}: {text} (run again with --traceback for details)"


# Formatting helpers ----------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], max_width: int = 60) -> str:
    """An aligned plain-text table; long cells are cut with an ellipsis."""
    cells = [[_cell(v, max_width) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]
    lines = [_line(headers, widths)]
    lines += [_line(row, widths) for row in cells]
    if not cells:
        lines.append("(none)")
    return "\n".join(lines)


def _cell(value: Any, max_width: int) -> str:
    text = "" if value is None else " ".join(str(value).split())
    return text if len(text) <= max_width else text[: max_width - 1] + "…"


def _line(values: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)).rstrip()


def format_when(value: datetime | None) -> str:
    """A timestamp as `yy-mm-dd hh:mm` in the reporting time zone (DESIGN.md §3)."""
    return report_time(value, missing="-")


def parse_when(value: str | None, option: str) -> datetime | None:
    """An ISO 8601 date and time from the command line; a naive one is read in TIME_ZONE.
    An empty value means "no time" (to clear one on update). A time outside the window of
    core.moments is refused naming `option`."""
    if value is None:
        return None
    text = value.strip()
    if not text or text.lower() == "none":
        return None
    example = "use ISO 8601, e.g. 2026-05-01T10:30 or 2026-05-01T10:30:00+02:00"
    try:
        parsed = parse_datetime(text)
    except ValueError:
        parsed = None
    if parsed is None:
        raise ValidationError(f"{value!r} is not a date and time; {example}", field=option)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, zoneinfo.ZoneInfo(settings.TIME_ZONE))
    return check_moment(parsed, field=option)


def split_list(value: str | None) -> list[str]:
    """`a,b, c` → ["a", "b", "c"]."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]

"""Incident fields as command-line options, shared by `declare` and `update`.

Each option maps to one field the incident services take; only options that were given are
passed on, so `update` changes nothing it was not told to.
"""

import argparse
from dataclasses import dataclass
from typing import Any

from django.core.management.base import CommandParser

from incidentdesk.core.cli import parse_when, split_list
from incidentdesk.incidents.models import Detection, ReportMedium


@dataclass(frozen=True)
class FieldOption:
    flag: str
    field: str
    kind: str  # text | when | int | csv | repeat | bool
    help: str
    metavar: str | None = None


FIELD_OPTIONS: tuple[FieldOption, ...] = (
    FieldOption("--summary", "summary", "text", "the internal summary (markdown)"),
    FieldOption("--impact", "impact", "text", "what users see"),
    FieldOption("--criteria", "criteria", "csv", "declaration criteria, comma-separated", "C1,C2"),
    FieldOption(
        "--criteria-reason",
        "criteria_reason",
        "text",
        "why it is an incident when no criterion fits",
    ),
    FieldOption(
        "--component", "components", "repeat", "an affected component (repeat for more)", "NAME"
    ),
    FieldOption("--started-at", "started_at", "when", "when the failure reached production", "ISO"),
    FieldOption("--detected-at", "detected_at", "when", "when it was first reported", "ISO"),
    FieldOption("--acknowledged-at", "acknowledged_at", "when", "when someone took it on", "ISO"),
    FieldOption("--mitigated-at", "mitigated_at", "when", "when the impact was contained", "ISO"),
    FieldOption("--resolved-at", "resolved_at", "when", "when it was fixed", "ISO"),
    FieldOption("--tracker-url", "tracker_url", "text", "the tracker issue", "URL"),
    FieldOption("--call-url", "call_url", "text", "the conference call", "URL"),
    FieldOption("--chat-url", "chat_url", "text", "the chat channel", "URL"),
    FieldOption(
        "--cause-change-url", "cause_change_url", "text", "the change that caused it", "URL"
    ),
    FieldOption(
        "--fix-change-url",
        "fix_change_urls",
        "repeat",
        "a change that fixed it (repeat for more)",
        "URL",
    ),
    FieldOption("--reported-by", "reported_by", "text", "who reported it", "WHO"),
    FieldOption(
        "--report-medium",
        "report_medium",
        "text",
        f"how: {', '.join(ReportMedium.values)}",
        "MEDIUM",
    ),
    FieldOption("--detection", "detection", "text", f"{' or '.join(Detection.values)}", "HOW"),
    FieldOption(
        "--users-affected", "users_affected_count", "int", "how many users are affected", "N"
    ),
    FieldOption(
        "--users-affected-description",
        "users_affected_description",
        "text",
        "who is affected",
        "TEXT",
    ),
    FieldOption(
        "--security", "security", "bool", "a security incident (a breach or a possible one)"
    ),
    FieldOption(
        "--restricted",
        "restricted",
        "bool",
        "seen only by the people taking part, admins and the security group",
    ),
)
UPDATE_ONLY = (
    FieldOption("--title", "title", "text", "a new title"),
    FieldOption("--severity", "severity", "text", "a new severity (key, name, alias or position)"),
    FieldOption("--declared-at", "declared_at", "when", "correct when it was declared", "ISO"),
)
TIMES_HELP = " Times are ISO 8601; one without a zone is read in INCIDENTDESK_TIME_ZONE."


def add_field_options(parser: CommandParser, *, for_update: bool) -> None:
    """Add one option per incident field. On update a boolean takes --no-<flag> too and an
    empty time (\"\") clears it."""
    options = (UPDATE_ONLY + FIELD_OPTIONS) if for_update else FIELD_OPTIONS
    for option in options:
        dest = "field_" + option.field
        if option.kind == "bool":
            action = argparse.BooleanOptionalAction if for_update else "store_true"
            parser.add_argument(
                option.flag, dest=dest, action=action, default=None, help=option.help
            )
        elif option.kind == "repeat":
            parser.add_argument(
                option.flag, dest=dest, action="append", metavar=option.metavar, help=option.help
            )
        else:
            kind = int if option.kind == "int" else str
            help_text = option.help + (TIMES_HELP if option.kind == "when" else "")
            parser.add_argument(
                option.flag, dest=dest, type=kind, metavar=option.metavar, help=help_text
            )


def given_fields(options: dict[str, Any]) -> dict[str, Any]:
    """The fields whose options were given, converted to what the services take."""
    kinds = {o.field: o for o in UPDATE_ONLY + FIELD_OPTIONS}
    fields: dict[str, Any] = {}
    for key, value in options.items():
        if not key.startswith("field_") or value is None:
            continue
        option = kinds[key.removeprefix("field_")]
        if option.kind == "when":
            value = parse_when(value, option.flag)
        elif option.kind == "csv":
            value = split_list(value)
        fields[option.field] = value
    return fields

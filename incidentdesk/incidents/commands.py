"""The command language, one parser for the incident page, the API, the CLI and chat.

    summary <text>    impact <text>     sev <level>       status <status> [reason]
    lead <person>     scribe <person>   comms <person>    assign <person>
    invite <person>   uninvite <person>
    action <text>     decision <text>   note <text>       statuspage <message>
    resolve [--internal-only] [message]             unblock [status] [reason]
    close [YYYY-MM-DD] [reason]                     help

Keywords are case-insensitive; people are named by username or email.
"""

from dataclasses import dataclass

from incidentdesk.core.errors import ValidationError


@dataclass(frozen=True)
class CommandSpec:
    keyword: str
    argument: str  # what the argument is, "" when none is taken
    required: bool
    help: str


SPECS: tuple[CommandSpec, ...] = (
    CommandSpec("summary", "text", True, "replace the internal summary"),
    CommandSpec("impact", "text", True, "say what users see"),
    CommandSpec("sev", "level", True, "change the severity (e.g. critical, sev1, 1)"),
    CommandSpec(
        "status", "status [reason]", True, "change the status (e.g. identified, blocked <why>)"
    ),
    CommandSpec("lead", "person", True, "make someone the lead"),
    CommandSpec("scribe", "person", True, "make someone the scribe"),
    CommandSpec("comms", "person", True, "make someone the communications lead"),
    CommandSpec("assign", "person", True, "add an assignee"),
    CommandSpec("invite", "person", True, "let someone see this restricted incident"),
    CommandSpec("uninvite", "person", True, "withdraw someone's invitation"),
    CommandSpec("action", "text", True, "add an action item"),
    CommandSpec("decision", "text", True, "record a decision"),
    CommandSpec("note", "text", True, "add a note to the timeline"),
    CommandSpec(
        "statuspage",
        "message",
        True,
        "tell the public: the first time `public name | message` publishes, then updates",
    ),
    CommandSpec(
        "resolve",
        "message",
        False,
        "resolve the incident, and its open status page publication with the message as the "
        "public one (`resolve --internal-only message` leaves the status page as it is)",
    ),
    CommandSpec(
        "unblock",
        "[status] [reason]",
        False,
        "leave blocked: back to the status before it, or the one named",
    ),
    CommandSpec(
        "close",
        "[YYYY-MM-DD] [reason]",
        False,
        "close a resolved incident; a blocked one until work resumes on the date",
    ),
    CommandSpec("help", "", False, "list the commands"),
)
BY_KEYWORD = {spec.keyword: spec for spec in SPECS}
ALIASES = {"severity": "sev", "comms_lead": "comms", "commander": "lead", "?": "help"}
MAX_LENGTH = 20_000


@dataclass(frozen=True)
class ParsedCommand:
    keyword: str
    argument: str


def help_text() -> str:
    width = max(len(f"{s.keyword} {s.argument}") for s in SPECS)
    lines = ["Commands:"]
    for spec in SPECS:
        usage = f"{spec.keyword} {spec.argument}".strip()
        lines.append(f"  {usage.ljust(width)}  {spec.help}")
    return "\n".join(lines)


class UnknownCommand(ValidationError):
    """The input is not a command; its message carries the help text."""


def parse(text: str) -> ParsedCommand:
    """Split `text` into a keyword and its argument, or raise with the help text."""
    text = (text or "").strip()
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            f"is {len(text)} characters long; the limit is {MAX_LENGTH}", field="text"
        )
    if not text:
        raise UnknownCommand("type a command.\n" + help_text(), field="text")
    word, _, rest = text.partition(" ")
    keyword = ALIASES.get(word.lower(), word.lower())
    spec = BY_KEYWORD.get(keyword)
    if spec is None:
        raise UnknownCommand(f"unknown command {word!r}.\n" + help_text(), field="text")
    argument = rest.strip()
    if spec.required and not argument:
        raise ValidationError(f"usage: {spec.keyword} <{spec.argument}>", field="text")
    return ParsedCommand(keyword, argument)

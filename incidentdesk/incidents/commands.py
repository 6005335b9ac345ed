"""The command language, one parser for the incident page, the API, the CLI and chat.

There is no central list of commands: each domain registers its keywords with `register` from
a module its `AppConfig.ready()` imports (the incidents' own are in services/commands.py, the
status page's `statuspage` in statuspage/commands.py). The parser, `help_text`, the docs test
and the parity test all read the registry.

A command names its keyword, what its argument is, whether it needs one, its help line, the
permission it needs, its aliases, its place in the help, and the handler that runs it. The
handler gets a `CommandCall` and returns a `CommandResult`; it calls the service that does the
work and lets the service's errors through, so every door reports them the same way.

Keywords are case-insensitive; people are named by username or email.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from incidentdesk.accounts.permissions import Perm
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident

MAX_LENGTH = 20_000


@dataclass
class CommandResult:
    reply: str
    incident: Incident  # as the command left it
    warnings: list[str] = field(default_factory=list)
    # True when `incident` is the row as the command's own transaction left it, with its
    # severity (read there, or checked there to be unchanged since it was read): an answer
    # built from it need not read the row again.
    fresh: bool = False


@dataclass(frozen=True)
class CommandCall:
    """One command to run: who runs it, through which door, on which incident, with what."""

    actor: Any
    source: ActionSource
    incident: Incident
    keyword: str
    argument: str


Handler = Callable[[CommandCall], CommandResult]


@dataclass(frozen=True)
class CommandSpec:
    keyword: str
    argument: str  # what the argument is, "" when none is taken
    required: bool
    help: str
    handler: Handler
    permission: Perm | None  # checked before the handler runs; None: anyone may
    aliases: tuple[str, ...] = ()
    # Where it stands in the help: the incidents' own commands are numbered 10, 20, … 170 and
    # `help` 1000; another domain picks a number between, where its line belongs.
    order: int = 500
    # A command line that shows it in use; the parity test runs it through the web, the API
    # and the CLI and expects the same timeline entry ("" when it needs a particular setup).
    example: str = ""
    # Its place in the short list under the incident page's command box, the most used first;
    # 0 leaves it out of that list (it is still in the help).
    hint: int = 0


class CommandRegistry:
    """The registered commands, by keyword and by alias (lower case)."""

    def __init__(self) -> None:
        self._by_keyword: dict[str, CommandSpec] = {}
        self._by_word: dict[str, CommandSpec] = {}

    def register(self, spec: CommandSpec) -> CommandSpec:
        """Add `spec`. A keyword or alias already taken by another command is refused, so two
        domains never silently answer to the same word."""
        words = [spec.keyword, *spec.aliases]
        if any(w != w.lower() or not w or " " in w for w in words):
            raise ValueError(f"command words are single lower-case words: {words}")
        for word in words:
            taken = self._by_word.get(word)
            if taken is not None and taken != spec:
                raise ValueError(f"{word!r} is already the command {taken.keyword!r}")
        self._by_keyword[spec.keyword] = spec
        self._by_word.update(dict.fromkeys(words, spec))
        return spec

    def unregister(self, keyword: str) -> None:
        spec = self._by_keyword.pop(keyword)
        for word in (spec.keyword, *spec.aliases):
            self._by_word.pop(word, None)

    def find(self, word: str) -> CommandSpec | None:
        """The command `word` names (keyword or alias, any case), or None."""
        return self._by_word.get(word.lower())

    def specs(self) -> list[CommandSpec]:
        """Every command in help order."""
        return sorted(self._by_keyword.values(), key=lambda spec: (spec.order, spec.keyword))

    def hints(self) -> list[str]:
        """The keywords of the command box's short list, in their place."""
        listed = [spec for spec in self._by_keyword.values() if spec.hint]
        return [spec.keyword for spec in sorted(listed, key=lambda spec: (spec.hint, spec.keyword))]


registry = CommandRegistry()
register = registry.register


@dataclass(frozen=True)
class ParsedCommand:
    keyword: str
    argument: str


def help_text() -> str:
    specs = registry.specs()
    width = max(len(f"{s.keyword} {s.argument}") for s in specs)
    lines = ["Commands:"]
    for spec in specs:
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
    spec = registry.find(word)
    if spec is None:
        raise UnknownCommand(f"unknown command {word!r}.\n" + help_text(), field="text")
    argument = rest.strip()
    if spec.required and not argument:
        raise ValidationError(f"usage: {spec.keyword} <{spec.argument}>", field="text")
    return ParsedCommand(spec.keyword, argument)

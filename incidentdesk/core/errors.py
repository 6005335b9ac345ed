"""The one error tree. Services raise these; each adapter maps them in one place.

Every error carries a human message and, where it is about one input, the field it names.
`detail` is the API's form of it (`field: message`, clients read `field` beside it); `sentence`
is how a person reads it on a page or in a reply: one sentence, the field in words as its
subject where the message needs one, no internal names.
"""

# How a field is named in a sentence when its name alone would not do.
FIELD_WORDS = {
    "wont_do_reason": "reason",
    "text": "command",
    "fix_change_urls": "fixing changes",
    "blocked_until": "the date work resumes",
}
# A message starting with one of these words needs the field as its subject ("must be a date"
# reads "Due date must be a date."); any other reads on its own ("say why work is blocked").
_NEEDS_SUBJECT = frozenset(
    {
        "must",
        "is",
        "are",
        "has",
        "have",
        "needs",
        "need",
        "cannot",
        "can't",
        "can",
        "may",
        "should",
        "was",
        "were",
        "does",
        "do",
        "contains",
        "holds",
    }
)


def field_words(field: str) -> str:
    """A field's name as words: `blocked_until` → "the date work resumes", `due_date` →
    "due date"."""
    return FIELD_WORDS.get(field, field.replace("_", " "))


def as_sentence(text: str) -> str:
    """`text` with a capital first letter and a full stop (unless it already ends one, or
    goes on over several lines, such as a message followed by the help)."""
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if "\n" in text or text.endswith((".", "!", "?", ":")) else text + "."


class IncidentDeskError(Exception):
    """Base of every expected, user-facing error."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def detail(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message

    @property
    def sentence(self) -> str:
        """The error as a sentence for a person: "The date work resumes must be today or
        later.", "Say why work is blocked.", never "status: …"."""
        first = self.message.split(maxsplit=1)[0].lower() if self.message.strip() else ""
        if self.field and first in _NEEDS_SUBJECT:
            return as_sentence(f"{field_words(self.field)} {self.message}")
        return as_sentence(self.message)

    @property
    def sentence_at_field(self) -> str:
        """The error as a sentence shown next to its field, which names it already: "Must be
        today or later."."""
        return as_sentence(self.message)


class ValidationError(IncidentDeskError):
    """Input is malformed or breaks a rule about a single value."""

    status_code = 422


class InvalidTransition(IncidentDeskError):
    """The requested change does not fit the current state (e.g. a status transition)."""

    status_code = 409


class NotFound(IncidentDeskError):
    status_code = 404


class PermissionDenied(IncidentDeskError):
    status_code = 403


class NotAuthenticated(IncidentDeskError):
    status_code = 401


class RateLimited(IncidentDeskError):
    """Too many requests from one client; try again later."""

    status_code = 429

"""What a search box's text means, as pure rules (no ORM, no database).

Whatever people type becomes a `Terms`: words that must all appear, words typed with a
trailing `*` (prefixes), phrases in double quotes, and words after `-` that must not appear.
Everything else (operators, brackets, colons, stray quotes, punctuation) is dropped, so no
input can reach the database as query syntax: each backend builds its own query from the
terms alone (`fts5_match` for SQLite, `pg_websearch` and `pg_prefixes` for PostgreSQL)."""

import re
from dataclasses import dataclass

from incidentdesk.core.errors import ValidationError

MAX_QUERY_LENGTH = 200
MAX_TERMS = 12
MAX_WORD_LENGTH = 64

# Words that carry no meaning on their own; PostgreSQL's English configuration drops them,
# and SQLite's tokenizer does not, so they are dropped here too (unless nothing else is left).
STOP_WORDS = frozenset(
    ("a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "in")
    + ("is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "was", "were", "will")
    + ("with",)
)
# Upper-case operators people bring from other search engines; all words must match anyway.
OPERATORS = frozenset({"AND", "OR", "NOT", "NEAR"})

_CHUNK = re.compile(r'(-?)"([^"]*)"?|(\S+)')
_WORD = re.compile(r"[^\W_]+")
_SYMBOLS = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class Terms:
    words: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    phrases: tuple[tuple[str, ...], ...] = ()
    excluded: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        """Nothing to look for: excluded words alone match nothing."""
        return not (self.words or self.prefixes or self.phrases)

    def __str__(self) -> str:
        parts = [*self.words, *(f"{p}*" for p in self.prefixes)]
        parts += [f'"{" ".join(p)}"' for p in self.phrases]
        parts += [f"-{w}" for w in self.excluded]
        return " ".join(parts)


def check_query(text: str | None, *, field: str = "q") -> str:
    """The query text, stripped; refused naming `field` when empty or longer than
    MAX_QUERY_LENGTH characters."""
    value = (text or "").strip()
    if not value:
        raise ValidationError("type a word to search for", field=field)
    if len(value) > MAX_QUERY_LENGTH:
        raise ValidationError(
            f"is {len(value)} characters long; a search takes at most {MAX_QUERY_LENGTH}",
            field=field,
        )
    return value


def _words(text: str) -> list[str]:
    return [w.casefold()[:MAX_WORD_LENGTH] for w in _WORD.findall(text)]


def parse(text: str) -> Terms:
    """The terms of a search box's text. Never fails: odd input gives fewer terms."""
    words: list[str] = []
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []
    excluded: list[str] = []
    for minus, quoted, bare in _CHUNK.findall(text[: MAX_QUERY_LENGTH * 2]):
        if _SYMBOLS.sub("", bare) in OPERATORS:  # AND, (OR, NOT:
            continue
        negative = bool(minus) or bare.startswith("-")
        found = _words(bare or quoted)
        if not found:
            continue
        if negative:
            excluded.extend(found)
        elif quoted or len(found) > 1:
            # INC-2026-0042 and db-primary are phrases: their parts stand next to each other.
            phrases.append(tuple(found))
        elif bare.endswith("*"):
            prefixes.append(found[0])
        else:
            words.append(found[0])
    meaningful = [w for w in words if w not in STOP_WORDS]
    if meaningful or prefixes or phrases:
        words = meaningful
    return Terms(
        words=tuple(dict.fromkeys(words))[:MAX_TERMS],
        prefixes=tuple(dict.fromkeys(prefixes))[:MAX_TERMS],
        phrases=tuple(dict.fromkeys(phrases))[:MAX_TERMS],
        excluded=tuple(dict.fromkeys(excluded))[:MAX_TERMS],
    )


def _quoted(words) -> str:
    return '"' + " ".join(words) + '"'  # words hold letters and digits only


def fts5_match(terms: Terms) -> str:
    """An SQLite FTS5 MATCH expression: every term quoted, so none is read as syntax."""
    parts = [_quoted([w]) for w in terms.words]
    parts += [_quoted([p]) + " *" for p in terms.prefixes]
    parts += [_quoted(p) for p in terms.phrases]
    match = " AND ".join(parts)
    for word in terms.excluded:
        match += f" NOT {_quoted([word])}"
    return match


def pg_websearch(terms: Terms) -> str:
    """Text for PostgreSQL's websearch_to_tsquery (which accepts any text): words, phrases in
    quotes, excluded words after `-`. Prefixes go through `pg_prefixes`."""
    parts = [*terms.words, *(_quoted(p) for p in terms.phrases)]
    parts += [f"-{w}" for w in terms.excluded]
    return " ".join(parts)


def pg_prefixes(terms: Terms) -> str:
    """Text for PostgreSQL's to_tsquery: each prefix as `word:*`, joined with `&` (the words
    hold letters and digits only, so nothing else can reach its syntax)."""
    return " & ".join(f"{p}:*" for p in terms.prefixes)

"""Pure postmortem rules: the taxonomy tree and the blameless language check. No ORM."""

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from incidentdesk.core.errors import ValidationError

TREE_MAX = 500
_TERM = re.compile(r"^[A-Z][A-Z0-9_]*$")


def parse_taxonomy_tree(text: str, known_terms: Iterable[str]) -> list[str]:
    """`"data_quality < failed_migration"` → `["DATA_QUALITY", "FAILED_MIGRATION"]`.

    Read "failed because of … which was caused by …". Empty text gives an empty list; an
    unknown or repeated term is refused, naming the known terms."""
    text = (text or "").strip()
    if not text:
        return []
    if len(text) > TREE_MAX:
        raise ValidationError(f"is longer than {TREE_MAX} characters", field="taxonomy")
    known = {t.upper() for t in known_terms}
    terms = [part.strip().upper() for part in text.split("<")]
    if any(not t for t in terms):
        raise ValidationError(
            "write one term or a tree like DATA_QUALITY < FAILED_MIGRATION (a term is missing "
            "around a '<')",
            field="taxonomy",
        )
    for term in terms:
        if term not in known:
            raise ValidationError(
                f"unknown term {term!r}; known terms: {', '.join(sorted(known))}",
                field="taxonomy",
            )
    if len(set(terms)) != len(terms):
        raise ValidationError("a term appears twice in the tree", field="taxonomy")
    return terms


def format_taxonomy_tree(terms: list[str]) -> str:
    return " < ".join(terms)


def check_term_key(text: str) -> str:
    """A new taxonomy term: upper-case letters, digits and underscores."""
    key = (text or "").strip().upper()
    if not key:
        raise ValidationError("is required", field="key")
    if len(key) > 64 or not _TERM.match(key):
        raise ValidationError(
            "use upper-case letters, digits and underscores (e.g. CAPACITY_LIMIT), at most 64",
            field="key",
        )
    return key


# The blameless check -------------------------------------------------------------------------


@dataclass(frozen=True)
class Warning:
    phrase: str
    message: str
    suggestion: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


CAUSAL_VERBS = (
    "broke|caused|deleted|forgot|missed|pushed|dropped|messed up|screwed up|overlooked|ignored|"
    "misconfigured|botched|neglected"
)
# Capitalised words that start sentences or name things, not people: "Deploys broke the cache".
NOT_PEOPLE = {
    "the", "a", "an", "this", "that", "these", "those", "it", "which", "what", "who", "there",
    "then", "when", "after", "before", "our", "their", "its", "one", "nothing", "something",
    "everything", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "we", "they", "nobody", "everyone", "somebody", "alerting", "monitoring", "automation",
    "deploy", "deploys", "deployment", "deployments", "release", "releases", "migration",
    "migrations", "cache", "caches", "job", "jobs", "cron", "script", "scripts", "service",
    "services", "server", "servers", "database", "databases", "config", "configuration",
    "change", "changes", "update", "updates", "patch", "alert", "alerts", "network", "traffic",
    "load", "rollout", "rollback", "upgrade", "query", "queries", "request", "requests", "test",
    "tests", "pipeline", "build", "worker", "workers", "queue", "disk", "proxy", "firewall",
}  # fmt: skip

# The name part is case-sensitive (a capitalised word, an @handle, he/she); the verb must be
# written in lower case, as a verb in running text is.
_PERSON_SUBJECT = re.compile(
    rf"(?P<who>@[\w.-]+|\b(?i:he|she)\b|\b[A-Z][a-z]+\b)\s+"
    rf"(?:(?:had|has|just|accidentally|then|also|mistakenly)\s+){{0,3}}(?P<verb>{CAUSAL_VERBS})\b"
)
_PATTERNS = [
    (
        re.compile(r"\b(?:should|could|would) have\b(?: been)?[^.;!?\n]{0,40}", re.IGNORECASE),
        "a counterfactual judges a past choice by what is known now",
        'Say what happened and what made it make sense at the time: "the runbook did not '
        'mention X, so …".',
    ),
    (
        # Only people forget; "failed to" is blameful when a person fails ("the job failed to
        # start" is a plain fact about a system and is not flagged).
        re.compile(
            r"(?:\bforgot to|(?:@[\w.-]+|\b[A-Z][a-z]+|\b(?i:he|she|someone|somebody|nobody|"
            r"the (?:engineer|operator|developer|on-call|admin|reviewer)s?))"
            r"\s+(?:failed|neglected) to)\b[^.;!?\n]{0,40}"
        ),
        "a counterfactual puts the gap in a person rather than in the system",
        'Describe the missing safeguard: "nothing in the release checklist covers X".',
    ),
    (
        re.compile(r"\b(?:human|operator|user|personal) (?:error|mistake)s?\b", re.IGNORECASE),
        '"human error" ends the inquiry where it should start',
        "Name the conditions that made the action easy to get wrong (tooling, defaults, load).",
    ),
    (
        re.compile(
            r"\b(?:be (?:more )?careful|pay (?:more )?attention|double[- ]check(?:ing)?"
            r"(?: next time)?|try harder|be more vigilant)\b",
            re.IGNORECASE,
        ),
        "a vague action relies on people remembering; it cannot be tracked or tested",
        "Make it a concrete change: a check, an alert, a guard or an automated test.",
    ),
]


def _person_subject(text: str, not_people: set[str]) -> list[Warning]:
    found = []
    for match in _PERSON_SUBJECT.finditer(text):
        who = match.group("who")
        if who.lower() in NOT_PEOPLE or who.lower() in not_people:
            continue
        found.append(
            Warning(
                phrase=match.group(0),
                message="a person is the subject of a causal verb",
                suggestion="Describe what happened to the system rather than who did it "
                '("the certificate was not renewed", "the deploy removed the index") '
                "and what made that step possible.",
            )
        )
    return found


def blameless_warnings(text: str, not_people: Iterable[str] = ()) -> list[dict[str, str]]:
    """Blameful wording in `text`, each with a suggested rewrite. Warnings only, never errors.

    "We" and "the team" are not flagged: a shared, collective subject is how blameless
    writing describes what was done. `not_people` names things (components, systems) whose
    capitalised names must not be mistaken for a person's."""
    text = text or ""
    warnings = _person_subject(text, {n.lower() for n in not_people})
    for pattern, message, suggestion in _PATTERNS:
        for match in pattern.finditer(text):
            warnings.append(Warning(match.group(0).strip(), message, suggestion))
    return [w.as_dict() for w in warnings]

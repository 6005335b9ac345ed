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


# Who is taken for a person. A capitalised word is a name unless it is a common word below or one
# of the caller's `not_people` (component names); @handles, he/she/you and someone are people, and
# so is a role noun ("the on-call engineer", "our SRE", "the person on call").
NOT_PEOPLE = {
    "the", "a", "an", "this", "that", "these", "those", "it", "which", "what", "who", "there",
    "then", "when", "after", "before", "our", "their", "its", "one", "nothing", "something",
    "everything", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
    "we", "they", "nobody", "everyone", "everybody", "anyone", "somebody", "no", "none", "all",
    "both", "each", "also", "later", "meanwhile", "still", "today", "yesterday", "alerting",
    "monitoring", "automation", "deploy", "deploys", "deployment", "deployments", "release",
    "releases", "migration", "migrations", "cache", "caches", "job", "jobs", "cron", "script",
    "scripts", "service", "services", "server", "servers", "database", "databases", "config",
    "configuration", "change", "changes", "update", "updates", "patch", "alert", "alerts",
    "network", "traffic", "load", "rollout", "rollback", "upgrade", "query", "queries", "request",
    "requests", "test", "tests", "pipeline", "build", "worker", "workers", "queue", "disk", "proxy",
    "firewall", "backup", "backups", "replica", "replicas", "replication", "cluster", "node",
    "nodes", "host", "hosts", "system", "systems", "app", "application", "certificate", "renewal",
    "scheduler", "index", "paging", "pager", "retry", "retries", "healthcheck", "healthchecks",
}  # fmt: skip
ROLE_NOUNS = (
    "engineer|developer|dev|operator|admin|administrator|sysadmin|sre|dba|on-?call|on-?caller|"
    "reviewer|responder|commander|lead|scribe|assignee|intern|contractor|manager|colleague|"
    "teammate|team member|staff member|employee|person"
)
_ROLE = (
    r"(?i:\b(?:(?:the|a|an|our|their|one|another|this|that|each|every|some)\s+(?:[\w-]+\s+)?)?"
    rf"(?:{ROLE_NOUNS})s?\b(?:\s+on[- ]call)?)"
)
_NAME = r"(?P<name>\b[A-Z][a-z]+\b)"  # checked against NOT_PEOPLE after matching
_PERSON = rf"(?:@[\w.-]+|(?i:\b(?:he|she|you|someone|somebody)\b)|{_ROLE}|{_NAME})"
# For a counterfactual the writers themselves count too: "we failed to" judges us. "Nobody",
# "anyone" and "they" do not ("nobody could have predicted it" is blameless; "they" is as often
# the replicas as the people).
_PERSON_OR_US = rf"(?:(?i:\b(?:we|everyone|everybody|(?:the|our) team)\b)|\bI\b|{_PERSON})"
# Words that may stand between the subject and its verb: "Bob had accidentally dropped".
_BETWEEN = r"(?:(?:had|has|have|just|then|also|again|all|both|still|\w+ly)\s+){0,3}"
# The verb must be written in lower case, as a verb in running text is. "forgot to" and
# "neglected to" are left to the counterfactual rule.
CAUSAL_VERBS = (
    "broke|caused|deleted|forgot|missed|pushed|dropped|messed up|screwed up|overlooked|ignored|"
    "misconfigured|botched|neglected|introduced|took down|brought down"
)
_REST = r"[^.;!?\n]{0,40}"  # the rest of the clause, to show the phrase in context

_PERSON_MESSAGE = "a person is the subject of a causal verb"
_PERSON_SUGGESTION = (
    "Describe what happened to the system rather than who did it "
    '("the certificate was not renewed", "the deploy removed the index") '
    "and what made that step possible."
)
_JUDGED = "a counterfactual judges a past choice by what is known now"
_JUDGED_SUGGESTION = (
    'Say what happened and what made it make sense at the time: "the runbook did not '
    'mention X, so …".'
)
_GAP = "a counterfactual puts the gap in a person rather than in the system"
_GAP_SUGGESTION = 'Describe the missing safeguard: "nothing in the release checklist covers X".'

# (pattern, message, suggestion), checked in this order. A match whose `name` group is not a
# person's name (see NOT_PEOPLE) is skipped.
_RULES = [
    (
        re.compile(rf"{_PERSON}\s+{_BETWEEN}(?:{CAUSAL_VERBS})\b(?! to\b)"),
        _PERSON_MESSAGE,
        _PERSON_SUGGESTION,
    ),
    (
        # "should have" says what ought to have happened, whoever or whatever the subject is.
        re.compile(
            r"\b(?:should|ought to)(?:\s+not|n['’]t)?(?:\s+\w+ly)?(?:\s+have|['’]ve)\b" + _REST,
            re.IGNORECASE,
        ),
        _JUDGED,
        _JUDGED_SUGGESTION,
    ),
    (
        # "could/would have" only with a person or us as the subject: "alerting could have been
        # faster" or "the outage would have spread" state a fact about the system.
        re.compile(
            rf"{_PERSON_OR_US}\s+{_BETWEEN}"
            rf"(?:could|would)(?:\s+\w+ly)?(?:\s+have|['’]ve)\b{_REST}"
        ),
        _JUDGED,
        _JUDGED_SUGGESTION,
    ),
    (
        # Only people forget or neglect, so these are flagged whatever the subject.
        re.compile(r"\b(?:forgot|forgotten|neglected) to\b" + _REST, re.IGNORECASE),
        _GAP,
        _GAP_SUGGESTION,
    ),
    (
        # "failed to" only with a person or us as the subject: "the cache failed to warm up" is
        # a plain fact about a system.
        re.compile(rf"{_PERSON_OR_US}\s+{_BETWEEN}failed to\b{_REST}"),
        _GAP,
        _GAP_SUGGESTION,
    ),
    (
        re.compile(
            r"\b(?:(?:human|operator|user|personal|manual) (?:error|mistake)s?|"
            r"fat[- ]finger(?:ed|ing)?)\b",
            re.IGNORECASE,
        ),
        '"human error" ends the inquiry where it should start',
        "Name the conditions that made the action easy to get wrong (tooling, defaults, load).",
    ),
    (
        re.compile(
            r"\b(?:be (?:more )?(?:careful|cautious|vigilant)|take (?:more )?care|"
            r"pay (?:more |closer )?attention|double[- ]check(?:ing|ed)?(?: next time)?|"
            r"try harder)\b",
            re.IGNORECASE,
        ),
        "a vague action relies on people remembering; it cannot be tracked or tested",
        "Make it a concrete change: a check, an alert, a guard or an automated test.",
    ),
]

# Text that is not the writer's own prose: fenced code blocks (to the end if left open), inline
# code spans, "quoted" text and > block quotes. It is blanked out before checking.
_NOT_PROSE = re.compile(
    r"^ {0,3}(?P<fence>`{3,}|~{3,})[\s\S]*?(?:^ {0,3}(?P=fence)|\Z)"
    r"|(?P<ticks>`+)[^\n]*?(?P=ticks)"
    r'|"[^"\n]*"|“[^”\n]*”'
    r"|^ {0,3}>[^\n]*",
    re.MULTILINE,
)


def _prose_only(text: str) -> str:
    """`text` with code and quotations replaced by spaces, so positions still match `text`."""
    return _NOT_PROSE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def blameless_warnings(text: str, not_people: Iterable[str] = ()) -> list[dict[str, str]]:
    """Blameful wording in `text`, each with a suggested rewrite, in the order of the text.

    Warnings only, never errors. Flagged: a person (a name, @handle, he/she, a role such as "the
    on-call engineer") as the subject of a causal verb; "should have", whatever the subject;
    "could/would have" and "failed to" with a person, "we", "I" or "the team" as the subject;
    "forgot to" and "neglected to"; "human error" and the like; vague actions. "We", "I" and
    "the team" are not flagged as the subject of a causal verb: a shared subject is how
    blameless writing describes what was done. Code and quoted text are not checked.
    `not_people` names things (components) whose names, or any word of them, must not be
    mistaken for a person's."""
    text = text or ""
    prose = _prose_only(text)
    things = NOT_PEOPLE | {w for n in not_people for w in re.findall(r"[\w.-]+", n.lower())}
    found: list[tuple[int, Warning]] = []
    for pattern, message, suggestion in _RULES:
        for match in pattern.finditer(prose):
            name = match.groupdict().get("name")
            if name and name.lower() in things:
                continue
            phrase = text[match.start() : match.end()].strip()
            found.append((match.start(), Warning(phrase, message, suggestion)))
    found.sort(key=lambda item: item[0])
    return [warning.as_dict() for _, warning in found]

"""How alike two incidents are: the pure part of "I saw something like that before".

No ORM and no network: `similar.py` reads the candidates from the database into `Profile`s,
this module ranks them against the incident being declared or looked at. The same arithmetic
runs on SQLite and PostgreSQL because none of it runs in the database.

The score adds up, on one absolute scale:

- text: BM25 (k1 1.2, b 0.75) over the candidates' words, each field weighted (a word in a
  title counts three times, in the cause one and a half, in a pinned timeline entry half), and
  divided by what the query's own words could score at most, so 1.0 is "every word of the
  query, in every candidate's strongest place" and a weak best match stays weak;
- components: the share of the query's components the candidate shares;
- taxonomy terms: the share of the query's cause terms (its postmortem's tree) it shares;
- alert labels: the share of the query's labels (key=value of its alert groups) it shares,
  labels that name one machine (instance, pod…) left out;
- severity: the same level, a little; the level next to it, half that;
- optionally the cosine of two embeddings (similar_embed.py).

A candidate is shown only with some evidence besides its severity: a shared word whose score
is worth it, a shared component, cause term or alert label.
"""

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

K1 = 1.2
B = 0.75

# How much a word counts, by where it stands (BM25F-style: the weights scale term frequency).
FIELD_WEIGHTS = {
    "title": 3.0,
    "summary": 1.0,
    "impact": 1.0,
    "highlights": 0.5,
    "cause": 1.5,
}

WEIGHTS = {
    "text": 1.0,
    "components": 0.25,
    "terms": 0.3,
    "labels": 0.35,
    "severity": 0.05,
    "embedding": 0.5,
}

# Below this share of the query's words, shared words alone do not make a candidate similar.
MIN_TEXT = 0.06

# Labels that name one machine, process or sender: shared by chance, not by cause.
VOLATILE_LABELS = frozenset(
    {"instance", "pod", "pod_name", "container_id", "replica", "prometheus", "fingerprint", "id"}
)

_STOPWORDS = (
    "a about above after again against all am an and any are as at be because been before "
    "being below between both but by can could did do does doing down during each few for "
    "from further had has have having he her here hers him his how i if in into is it its "
    "itself just me more most my no nor not now of off on once only or other our ours out "
    "over own same she should so some such than that the their them then there these they "
    "this those through to too under until up very was we were what when where which while "
    "who whom why will with would you your yours also still again since via per get got gets "
    "getting us"
)
STOPWORDS = frozenset(_STOPWORDS.split())

# Spellings of the same thing people write in a hurry; the left side becomes the right.
ABBREVIATIONS = {
    "db": "database",
    "dbs": "database",
    "pg": "postgres",
    "postgresql": "postgres",
    "k8s": "kubernetes",
    "kube": "kubernetes",
    "cert": "certificate",
    "certs": "certificate",
    "ssl": "tls",
    "oom": "memory",
    "oomkilled": "memory",
    "lb": "loadbalancer",
    "auth": "authentication",
    "authn": "authentication",
    "msg": "message",
    "msgs": "message",
    "config": "configuration",
    "env": "environment",
    "prod": "production",
    "repl": "replication",
    "latencies": "latency",
    "dns": "dns",
}

# Light suffix stripping, longest first; a stem keeps at least four letters.
_SUFFIXES = ("ation", "ment", "ness", "ing", "ion", "ure", "ie", "ed", "er", "e", "ly")


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A word's stem, good enough to match `failed`, `failing` and `failure`, `expired` and
    `expiry`, `connection` and `connections` (not a linguist's stemmer: one pass, no lookup)."""
    if len(word) <= 4 or word.isdigit():
        return word
    if word.endswith("s") and word[-2] not in "siu":  # not "process", "status", "redis"
        word = word[:-1]  # a plural first: "connections" then as "connection"
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            word = word[: -len(suffix)]
            break
    if word.endswith(("y", "e")) and len(word) > 4:
        word = word[:-1]
    if len(word) > 4 and word[-1] == word[-2] and word[-1] not in "aeiou":
        word = word[:-1]  # "stopp(ed)" -> "stop", "throttl(ing)" unchanged
    return word


# Phrases written several ways, made one word before the words are split.
PHRASES = (
    (re.compile(r"\b(?:log|sign)(?:ged|ed)?[\s-]?(?:in|on)s?\b"), "signin"),
    (re.compile(r"\b(?:log|sign)(?:ged|ed)?[\s-]?(?:out|off)s?\b"), "signout"),
    (re.compile(r"\b(?:two|2)[\s-]?(?:factor|fa)\b|\bmfa\b"), "twofactor"),
)

SHOWN = {"signin": "sign-in", "signout": "sign-out", "twofactor": "two-factor"}

_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[tuple[str, str]]:
    """(stem, the word as written) of each meaningful word of `text`, in order: lower case,
    common abbreviations spelled out, stop words and lone numbers other than HTTP statuses
    (502) left out."""
    found = []
    text = (text or "").lower()
    for phrase, word in PHRASES:
        text = phrase.sub(word, text)
    for word in _WORD.findall(text):
        word = ABBREVIATIONS.get(word, word)
        if word in STOPWORDS or len(word) < 2:
            continue
        if word.isdigit() and len(word) != 3:
            continue
        found.append((stem(word), SHOWN.get(word, word)))
    return found


@dataclass
class Profile:
    """What ranking knows of one incident (or of the one being declared)."""

    key: int | None
    fields: dict[str, str]
    severity: int | None = None
    components: frozenset[str] = frozenset()
    terms: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()

    def bag(self) -> tuple[dict[str, float], dict[str, str], float]:
        """Weighted term frequencies, a written form of each stem, and the weighted length."""
        return analysed(tuple(self.fields.items()))

    def text(self) -> str:
        """The profile's words in one string, for an embedding."""
        return " ".join(t for t in (self.fields.get(n, "") for n in FIELD_WEIGHTS) if t)


@functools.lru_cache(maxsize=2048)  # four times the most candidates one request ranks
def analysed(fields: tuple[tuple[str, str], ...]) -> tuple[dict[str, float], dict[str, str], float]:
    """A profile's bag of words (see Profile.bag), kept for the next request: the same text is
    analysed once per process, however many previews rank it."""
    tf: dict[str, float] = defaultdict(float)
    shown: dict[str, str] = {}
    for name, text in fields:
        weight = FIELD_WEIGHTS.get(name, 1.0)
        for token, written in words(text):
            tf[token] += weight
            shown.setdefault(token, written)
    return dict(tf), shown, sum(tf.values())


def label_pairs(labels: Iterable[dict]) -> frozenset[str]:
    """`key=value` of every label of some alert groups, volatile ones left out."""
    pairs = set()
    for one in labels:
        for key, value in (one or {}).items():
            if str(key).lower() in VOLATILE_LABELS or value in (None, ""):
                continue
            pairs.add(f"{key}={value}")  # as written: Prometheus labels are case-sensitive
    return frozenset(pairs)


def term_keys(tree: str, principal: str = "") -> frozenset[str]:
    """The taxonomy terms of a postmortem's tree (`A < B < C`) and its principal term."""
    found = {part.strip().upper() for part in (tree or "").split("<") if part.strip()}
    if principal.strip():
        found.add(principal.strip().upper())
    return frozenset(found)


@dataclass
class Match:
    """One ranked candidate, its score and what makes it similar."""

    key: int
    score: float
    text: float
    shared_words: list[str] = field(default_factory=list)
    shared_components: list[str] = field(default_factory=list)
    shared_terms: list[str] = field(default_factory=list)
    shared_labels: list[str] = field(default_factory=list)
    same_severity: bool = False
    embedding: float | None = None

    @property
    def why(self) -> str:
        """One line: shared component X · same cause term T · alert label L · words …"""
        parts = []
        if self.shared_components:
            noun = "component" if len(self.shared_components) == 1 else "components"
            parts.append(f"shared {noun} {', '.join(self.shared_components[:3])}")
        if self.shared_terms:
            noun = "cause term" if len(self.shared_terms) == 1 else "cause terms"
            parts.append(f"same {noun} {', '.join(self.shared_terms[:2])}")
        if self.shared_labels:
            noun = "alert label" if len(self.shared_labels) == 1 else "alert labels"
            parts.append(f"{noun} {', '.join(self.shared_labels[:2])}")
        if self.shared_words:
            parts.append(f"words: {', '.join(self.shared_words[:4])}")
        if self.embedding is not None and self.embedding >= 0.5 and not parts:
            parts.append("close in meaning")
        if self.same_severity:
            parts.append("same severity")
        return " · ".join(parts)

    @property
    def evidence(self) -> bool:
        """Something besides the severity makes it similar."""
        return bool(
            self.text >= MIN_TEXT
            or self.shared_components
            or self.shared_terms
            or self.shared_labels
            or (self.embedding is not None and self.embedding >= 0.5)
        )


def rank(
    query: Profile,
    candidates: Sequence[Profile],
    *,
    limit: int = 5,
    embeddings: Sequence[float] | None = None,
    weights: dict[str, float] | None = None,
) -> list[Match]:
    """The candidates most like `query`, best first, at most `limit`, each with some evidence.
    `embeddings`, when given, is each candidate's cosine with the query (same order)."""
    weights = {**WEIGHTS, **(weights or {})}
    bags = [c.bag() for c in candidates]
    n = len(bags)
    if n == 0:
        return []
    average = sum(b[2] for b in bags) / n or 1.0
    frequency: Counter = Counter()
    for tf, _, _ in bags:
        frequency.update(tf.keys())
    q_tf, _, _ = query.bag()

    def idf(token: str) -> float:
        df = frequency.get(token, 0)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    ideal = sum(q * idf(t) * (K1 + 1) for t, q in q_tf.items()) or 1.0
    matches = []
    for index, (candidate, (tf, shown, length)) in enumerate(zip(candidates, bags, strict=True)):
        gains = {}
        norm = K1 * (1 - B + B * length / average)
        for token, q in q_tf.items():
            f = tf.get(token)
            if f:
                gains[token] = q * idf(token) * f * (K1 + 1) / (f + norm)
        text = sum(gains.values()) / ideal
        match = _features(query, candidate, text, weights)
        match.shared_words = [shown[t] for t, _ in sorted(gains.items(), key=lambda g: -g[1])]
        match.score += weights["text"] * text
        if embeddings is not None:
            match.embedding = float(embeddings[index])
            match.score += weights["embedding"] * max(match.embedding, 0.0)
        if match.evidence:
            matches.append(match)
    matches.sort(key=lambda m: (-m.score, -(m.key or 0)))
    return matches[:limit]


def _features(query: Profile, candidate: Profile, text: float, weights: dict) -> Match:
    """The match of the non-text features (components, cause terms, labels, severity)."""
    match = Match(key=candidate.key or 0, score=0.0, text=text)
    if query.components:
        match.shared_components = sorted(query.components & candidate.components)
        match.score += weights["components"] * len(match.shared_components) / len(query.components)
    if query.terms:
        match.shared_terms = sorted(query.terms & candidate.terms)
        match.score += weights["terms"] * len(match.shared_terms) / len(query.terms)
    if query.labels:
        match.shared_labels = sorted(query.labels & candidate.labels)
        match.score += weights["labels"] * len(match.shared_labels) / len(query.labels)
    if query.severity is not None and candidate.severity is not None:
        gap = abs(query.severity - candidate.severity)
        match.same_severity = gap == 0
        match.score += weights["severity"] * {0: 1.0, 1: 0.5}.get(gap, 0.0)
    return match

"""Full-text search over incidents, timeline entries, action items and postmortem sections.

The index is search/index.py's `search_index` table (kept by the database's triggers); this
module asks it, ranked (bm25 on SQLite, ts_rank on PostgreSQL; a title match counts ten times
a body mention), and keeps only rows of incidents the viewer may see
(`Incident.objects.visible_to`), so neither the results nor their counts say anything about a
restricted incident to someone outside it."""

import re
from dataclasses import dataclass, field
from datetime import datetime
from html import unescape

from django.db import connection
from django.urls import reverse
from django.utils.html import escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import (
    OPEN_STATUSES,
    ActionItem,
    Incident,
    IncidentStatus,
    TimelineEntry,
)
from incidentdesk.postmortems.models import Postmortem
from incidentdesk.search import index
from incidentdesk.search.rules import (
    Terms,
    check_query,
    fts5_match,
    parse,
    pg_prefixes,
    pg_websearch,
)

PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
KIND_LABELS = {
    "incident": "Incident",
    "entry": "Timeline entry",
    "action": "Action item",
    "postmortem": "Postmortem",
}
KIND_PLURALS = {
    "incident": "Incidents",
    "entry": "Timeline entries",
    "action": "Action items",
    "postmortem": "Postmortem sections",
}
STATUSES = ("open", *IncidentStatus.values)
# Around each matched word in a title or snippet; stored text never holds control
# characters (core/text.py refuses them), so these cannot clash with what people wrote.
START, STOP = "\x02", "\x03"
TITLE_WEIGHT = 10.0
SHORT_BODY = 240  # characters: about the 32 words FTS5's snippet shows at most


@dataclass
class Hit:
    kind: str
    id: int
    incident: Incident
    url: str
    title_html: SafeString
    snippet_html: SafeString
    section: str = ""
    section_title: str = ""
    when: datetime | None = None
    score: float = 0.0

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[self.kind]

    @property
    def snippet(self) -> str:
        return _plain(self.snippet_html)

    @property
    def title(self) -> str:
        return _plain(self.title_html)


@dataclass
class Results:
    query: str
    terms: Terms
    hits: list[Hit] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # by kind, before the kind filter
    count: int = 0  # of the kinds asked for
    page: int = 1
    size: int = PAGE_SIZE

    @property
    def pages(self) -> int:
        return max(1, -(-self.count // self.size))


def check_kinds(kinds) -> tuple[str, ...]:
    """The kinds asked for (all when none), refusing an unknown one naming `kind`."""
    chosen = tuple(dict.fromkeys(k.strip() for k in kinds if k and k.strip()))
    unknown = [k for k in chosen if k not in KIND_LABELS]
    if unknown:
        raise ValidationError(
            f"{unknown[0]!r} is not a kind of result; use {', '.join(KIND_LABELS)}", field="kind"
        )
    return chosen


def check_status(status: str) -> str:
    status = (status or "").strip()
    if status and status not in STATUSES:
        raise ValidationError(
            f"{status!r} is not an incident status; use {', '.join(STATUSES)}", field="status"
        )
    return status


def search(
    *, viewer, query: str, kinds=(), status: str = "", page: int = 1, size: int = PAGE_SIZE
) -> Results:
    """The page `page` of what `viewer` may see matching `query`, best first. `kinds` narrows
    to incidents, entries, actions or postmortems; `status` to incidents in that status
    (`open`: any open one). Refuses an empty or too long query (`q`), an unknown kind or
    status, and a page past the last (`page`). Query text never fails otherwise: it is read
    by `rules.parse`, and text with no word left matches nothing."""
    text = check_query(query)
    kinds, status = check_kinds(kinds), check_status(status)
    if page < 1:
        raise ValidationError("must be 1 or more", field="page")
    size = min(max(size, 1), MAX_PAGE_SIZE)
    terms = parse(text)
    results = Results(query=text, terms=terms, page=page, size=size)
    if terms.is_empty or not index.supported():
        return results
    visible = Incident.objects.visible_to(viewer)
    if status == "open":
        visible = visible.filter(status__in=OPEN_STATUSES)
    elif status:
        visible = visible.filter(status=status)
    backend = (_Sqlite if connection.vendor == "sqlite" else _Postgres)(terms, visible, status)
    results.counts = {kind: n for kind, n in backend.counts().items() if n}
    results.count = sum(n for k, n in results.counts.items() if not kinds or k in kinds)
    if page > results.pages and results.count:
        raise ValidationError(
            f"is past the last page ({results.pages}; {results.count} results, {size} a page)",
            field="page",
        )
    ranked = backend.page(kinds, size, (page - 1) * size) if results.count else []
    details = backend.details([row_id for row_id, _ in ranked]) if ranked else {}
    results.hits = _hits(ranked, details)
    return results


# The one JSON shape of results (the API and `incidentdesk search --json`) -------


def hit_data(hit: Hit) -> dict:
    """One result as the API and `incidentdesk search --json` give it."""
    return {
        "kind": hit.kind,
        "id": hit.id,
        "incident": hit.incident.reference,
        "incident_title": hit.incident.title,
        "incident_status": hit.incident.status,
        "title": hit.title,
        "snippet": hit.snippet,
        "snippet_html": str(hit.snippet_html),
        "section": hit.section,
        "url": hit.url,
        "when": hit.when,
        "score": round(hit.score, 6),
    }


def results_data(results: Results) -> dict:
    return {
        "query": results.query,
        "terms": str(results.terms),
        "count": results.count,
        "counts": {kind: results.counts.get(kind, 0) for kind in KIND_LABELS},
        "page": results.page,
        "pages": results.pages,
        "items": [hit_data(hit) for hit in results.hits],
    }


# The two backends: the same three questions in each database's words -----------------

# Up to this many incidents are named inside SQLite's FTS5 query (to leave out or to keep);
# past it the index rows' incident column is compared instead, which reads every match's row.
MAX_NAMED_INCIDENTS = 500


class _Sqlite:
    """FTS5: the words are looked for in the title and body columns only. The rows of the
    incidents the viewer may not see (or, with a status, of those in it) are found by their
    incident's word in the `scope` column (`i42`), inside FTS5 too, and set aside by rowid:
    counting and ranking read no row's stored columns, and bm25 scores the words alone."""

    WEIGHTS = f"0, 0, 0, {TITLE_WEIGHT}, 1, 0"
    SCOPED = "rowid {} (SELECT rowid FROM search_index WHERE search_index MATCH %s)"

    def __init__(self, terms: Terms, visible, status: str):
        self.words = "{title body} : (" + fts5_match(terms) + ")"
        self.where, self.params = "", []
        if status:
            named = list(visible.values_list("pk", flat=True)[: MAX_NAMED_INCIDENTS + 1])
            keep = "IN"
        else:
            restricted = Incident.objects.filter(restricted=True)
            hidden = restricted.exclude(pk__in=visible.order_by().values("pk"))
            named = list(hidden.values_list("pk", flat=True)[: MAX_NAMED_INCIDENTS + 1])
            keep = "NOT IN"
        if len(named) <= MAX_NAMED_INCIDENTS:
            if named or keep == "IN":
                self.where = " AND " + self.SCOPED.format(keep)
                self.params = ["scope : (" + _tokens(f"i{pk}" for pk in named or [0]) + ")"]
            return
        sql, params = visible.order_by().values("pk").query.sql_with_params()
        self.where, self.params = f" AND incident IN ({sql})", list(params)

    def _kinds(self, kinds) -> str:
        # A row's kind is in its rowid (index.SLOTS): no stored column is read for it.
        slots = {"incident": "= 0", "entry": "= 1", "action": "= 2", "postmortem": ">= 3"}
        if not kinds:
            return ""
        return " AND (" + " OR ".join(f"rowid %% {index.SLOTS} {slots[k]}" for k in kinds) + ")"

    def counts(self) -> dict[str, int]:
        slot = f"min(rowid %% {index.SLOTS}, {index.POSTMORTEM_FIRST_SLOT})"
        sql = (
            f"SELECT {slot} AS slot, count(*) FROM search_index "
            f"WHERE search_index MATCH %s{self.where} GROUP BY slot"
        )
        by_slot = dict(_fetch(sql, [self.words, *self.params]))
        return {kind: by_slot.get(n, 0) for n, kind in enumerate(KIND_LABELS)}

    def page(self, kinds, limit, offset) -> list[tuple[int, float]]:
        sql = (
            f"SELECT rowid, bm25(search_index, {self.WEIGHTS}) AS score FROM search_index "
            f"WHERE search_index MATCH %s{self.where}{self._kinds(kinds)} "
            "ORDER BY score, rowid LIMIT %s OFFSET %s"
        )
        rows = _fetch(sql, [self.words, *self.params, limit, offset])
        return [(rowid, -score) for rowid, score in rows]

    def details(self, rowids) -> dict[int, tuple]:
        sql = (
            "SELECT rowid, kind, incident, section, highlight(search_index, 3, %s, %s), "
            "snippet(search_index, 4, %s, %s, '…', 32) FROM search_index "
            f"WHERE search_index MATCH %s AND rowid IN ({', '.join(['%s'] * len(rowids))})"
        )
        rows = _fetch(sql, [START, STOP, START, STOP, self.words, *rowids])
        return {row[0]: row[1:] for row in rows}


def _tokens(words) -> str:
    return " OR ".join(f'"{word}"' for word in words)


class _Postgres:
    """A GIN index over the stored tsvector finds the matches; ts_rank orders them."""

    QUERY = "(websearch_to_tsquery('english', %s) && to_tsquery('english', %s))"

    def __init__(self, terms: Terms, visible, status: str):
        self.query_params = [pg_websearch(terms), pg_prefixes(terms)]
        sql, params = visible.order_by().values("pk").query.sql_with_params()
        self.where = f"vector @@ {self.QUERY} AND incident IN ({sql})"
        self.params = [*self.query_params, *params]

    def counts(self) -> dict[str, int]:
        sql = f"SELECT kind, count(*) FROM search_index WHERE {self.where} GROUP BY kind"
        return dict(_fetch(sql, self.params))

    def page(self, kinds, limit, offset) -> list[tuple[int, float]]:
        # ts_rank's weights for D, C, B, A: a title (A) counts TITLE_WEIGHT times a body (D).
        where = self.where
        if kinds:
            where += f" AND kind IN ({', '.join(['%s'] * len(kinds))})"
        sql = (
            f"SELECT id, ts_rank('{{0.1, 0.2, 0.4, {TITLE_WEIGHT / 10}}}', vector, "
            f"{self.QUERY}) AS score FROM search_index "
            f"WHERE {where} ORDER BY score DESC, id LIMIT %s OFFSET %s"
        )
        return _fetch(sql, [*self.query_params, *self.params, *kinds, limit, offset])

    def details(self, ids) -> dict[int, tuple]:
        title_options = f"StartSel={START}, StopSel={STOP}, HighlightAll=true"
        body_options = (
            f"StartSel={START}, StopSel={STOP}, MaxWords=32, MinWords=12, "
            'MaxFragments=2, FragmentDelimiter=" … "'
        )
        # A short body is shown whole (as FTS5's snippet does); a long one in fragments.
        sql = (
            f"SELECT id, kind, incident, section, "
            f"ts_headline('english', title, {self.QUERY}, %s), "
            f"ts_headline('english', body, {self.QUERY}, CASE WHEN length(body) <= %s "
            "THEN %s ELSE %s END) FROM search_index "
            f"WHERE id IN ({', '.join(['%s'] * len(ids))})"
        )
        q = self.query_params
        params = [*q, title_options, *q, SHORT_BODY, title_options, body_options, *ids]
        return {row[0]: row[1:] for row in _fetch(sql, params)}


def _fetch(sql: str, params) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# Turning index rows into what a page shows -------------------------------------------


_LINK = re.compile(r"\[([^\]\n]*)\]\([^)\s]*\)")
_EMPHASIS = re.compile(r"\*\*|__|~~|`+|^#{1,6} +|^> ?", re.MULTILINE)


def _html(marked: str) -> SafeString:
    """Marked text as HTML: its markdown's links and emphasis marks left out (a snippet is a
    glimpse, not the rendered entry), every matched word in <mark>."""
    text = _EMPHASIS.sub("", _LINK.sub(r"\1", marked))
    return mark_safe(escape(text).replace(START, "<mark>").replace(STOP, "</mark>"))


def _plain(html: str) -> str:
    return unescape(strip_tags(html))


def _hits(ranked, details) -> list[Hit]:
    rows = [(row_id, score, *details[row_id]) for row_id, score in ranked if row_id in details]
    ids: dict[str, list[int]] = {kind: [] for kind in KIND_LABELS}
    for row_id, _score, kind, *_ in rows:
        ids[kind].append(row_id // index.SLOTS)
    incidents = Incident.objects.select_related("severity").in_bulk({row[3] for row in rows})
    entries = TimelineEntry.objects.in_bulk(ids["entry"])
    actions = ActionItem.objects.in_bulk(ids["action"])
    postmortems = Postmortem.objects.select_related("template").in_bulk(ids["postmortem"])
    hits = []
    for row_id, score, kind, incident_id, section, title, body in rows:
        incident, pk = incidents.get(incident_id), row_id // index.SLOTS
        if incident is None:
            continue  # deleted between the two questions
        page = reverse("incident_detail", args=[incident.reference])
        hit = Hit(kind, pk, incident, page, _html(title), _html(body), score=float(score))
        if kind == "incident":
            hit.when = incident.declared_at
        elif kind == "entry" and pk in entries:
            hit.url, hit.when = f"{page}#entry-{pk}", entries[pk].occurred_at
        elif kind == "action" and pk in actions:
            hit.url, hit.when = f"{page}#action-{pk}", actions[pk].created_at
        elif kind == "postmortem" and pk in postmortems:
            postmortem = postmortems[pk]
            hit.section, hit.section_title = section, _section_title(postmortem, section)
            hit.url = reverse("postmortem_page", args=[incident.reference]) + f"#section-{section}"
            hit.when = postmortem.updated_at
        else:
            continue
        hits.append(hit)
    return hits


def _section_title(postmortem: Postmortem, key: str) -> str:
    for spec in postmortem.template.sections or ():
        if isinstance(spec, dict) and spec.get("key") == key:
            return str(spec.get("title") or key)
    return key.replace("_", " ").capitalize()

"""Similar past incidents: the reads behind "I saw something like that before".

`similar_to_incident` (the incident page's panel, the API) and `similar_to_draft` (the declare
page, while the title is typed) read a bounded set of candidates the viewer may see, turn each
into a `similar_rank.Profile` in a few queries, rank them in Python (similar_rank.py, the same
on SQLite and PostgreSQL) and return the best with what the reader needs one click away: the
postmortem, its cause, the follow-ups.

The candidates are the most recently declared incidents the viewer may see (CANDIDATES) and
the most recent ones sharing a component with the query (COMPONENT_CANDIDATES): a restricted
incident the viewer may not see is never read, so it can neither be shown nor say anything.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q

from incidentdesk.alerts.models import AlertGroup
from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import (
    OPEN_STATUSES,
    ActionItem,
    ActionPhase,
    ActionStatus,
    Component,
    EntryKind,
    Incident,
    Severity,
    TimelineEntry,
)
from incidentdesk.postmortems.models import Postmortem
from incidentdesk.search import similar_embed
from incidentdesk.search.similar_rank import Match, Profile, label_pairs, rank, term_keys

CANDIDATES = 400
COMPONENT_CANDIDATES = 100
HIGHLIGHT_KINDS = (EntryKind.DECISION, EntryKind.RESULT)
# Postmortem sections whose text says why it happened (the two built-in templates' keys).
CAUSE_SECTIONS = ("cause", "causes", "analysis", "lessons")
TEXT_LIMIT = 4000  # characters of one field read into a profile


@dataclass
class Similar:
    """One similar incident as the pages and the API show it."""

    incident: Incident
    match: Match
    postmortem: Postmortem | None
    cause: str
    followups_open: int
    followups_total: int

    @property
    def why(self) -> str:
        return self.match.why

    @property
    def is_open(self) -> bool:
        return self.incident.status in OPEN_STATUSES


def similar_to_incident(incident: Incident, *, viewer, limit: int = 5) -> list[Similar]:
    """The incidents most like `incident` that `viewer` may see (never itself): by its title,
    summary, impact, pinned entries, decisions and results, its postmortem's cause and terms,
    its components, severity and the labels of its alert groups."""
    query = profiles([incident.pk])[incident.pk]
    return _similar(query, viewer=viewer, limit=limit, exclude=incident.pk)


def similar_to_draft(
    *,
    viewer,
    title: str = "",
    summary: str = "",
    impact: str = "",
    severity: Severity | None = None,
    components: Iterable[Component] = (),
    limit: int = 5,
) -> list[Similar]:
    """The incidents most like one being declared (what the form holds so far)."""
    query = Profile(
        key=None,
        fields={
            "title": title[:TEXT_LIMIT],
            "summary": summary[:TEXT_LIMIT],
            "impact": impact[:TEXT_LIMIT],
        },
        severity=severity.position if severity else None,
        components=frozenset(c.name for c in components),
    )
    if not (query.text().strip() or query.components):
        return []
    return _similar(query, viewer=viewer, limit=limit)


def _similar(query: Profile, *, viewer, limit: int, exclude: int | None = None) -> list[Similar]:
    ids = candidate_ids(viewer, components=query.components, exclude=exclude)
    found = profiles(ids)
    candidates = [found[pk] for pk in ids if pk in found]
    embeddings = similar_embed.cosines(query, candidates) if similar_embed.enabled() else None
    matches = rank(query, candidates, limit=limit, embeddings=embeddings)
    return _present(matches)


def candidate_ids(viewer, *, components: Iterable[str] = (), exclude: int | None = None):
    """The ids of the incidents to rank: the newest the viewer may see, and the newest sharing
    a component with the query; at most CANDIDATES + COMPONENT_CANDIDATES."""
    visible = selectors.visible_incidents(viewer)
    if exclude is not None:
        visible = visible.exclude(pk=exclude)
    newest = list(visible.order_by("-declared_at", "-id").values_list("pk", flat=True)[:CANDIDATES])
    names = list(components)
    if names:
        sharing = (
            visible.filter(components__name__in=names)
            .exclude(pk__in=newest)
            .order_by("-declared_at", "-id")
            .values_list("pk", flat=True)
            .distinct()[:COMPONENT_CANDIDATES]
        )
        newest += [pk for pk in sharing if pk not in newest]
    return newest


def profiles(ids: list[int]) -> dict[int, Profile]:
    """A ranking profile of each incident in `ids`, read in five queries whatever their number
    (the incidents, their components, pinned entries, decisions and results, postmortems, alert
    groups' labels)."""
    rows = Incident.objects.filter(pk__in=ids).values(
        "pk", "title", "summary", "impact", "severity__position"
    )
    names = defaultdict(set)
    for pk, name in Incident.components.through.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "component__name"
    ):
        names[pk].add(name)
    highlights = defaultdict(list)
    entries = TimelineEntry.objects.filter(incident_id__in=ids).filter(
        Q(pinned=True) | Q(kind__in=HIGHLIGHT_KINDS)
    )
    for pk, body in entries.values_list("incident_id", "body"):
        highlights[pk].append(body)
    causes, terms = {}, {}
    for pk, sections, whys, tree, principal in Postmortem.objects.filter(
        incident_id__in=ids
    ).values_list("incident_id", "sections", "five_whys", "taxonomy_tree", "taxonomy_principal"):
        causes[pk] = cause_text(sections, whys)
        terms[pk] = term_keys(tree, principal)
    labels = defaultdict(list)
    for pk, group_labels in AlertGroup.objects.filter(incident_id__in=ids).values_list(
        "incident_id", "labels"
    ):
        labels[pk].append(group_labels)
    return {
        row["pk"]: Profile(
            key=row["pk"],
            fields={
                "title": row["title"],
                "summary": row["summary"][:TEXT_LIMIT],
                "impact": row["impact"][:TEXT_LIMIT],
                "highlights": "\n".join(highlights[row["pk"]])[:TEXT_LIMIT],
                "cause": causes.get(row["pk"], "")[:TEXT_LIMIT],
            },
            severity=row["severity__position"],
            components=frozenset(names[row["pk"]]),
            terms=terms.get(row["pk"], frozenset()),
            labels=label_pairs(labels[row["pk"]]),
        )
        for row in rows
    }


def cause_text(sections, whys) -> str:
    """What a postmortem says about why it happened: its cause sections and five whys."""
    sections = sections if isinstance(sections, dict) else {}
    parts = [str(sections.get(key) or "") for key in CAUSE_SECTIONS]
    for why in whys if isinstance(whys, list) else []:
        parts.extend(str(v) for v in (why.values() if isinstance(why, dict) else [why]) if v)
    return "\n".join(p for p in parts if p.strip())


def first_line(text: str, limit: int = 160) -> str:
    """The first non-empty line of some markdown, without its heading or list marks."""
    for line in (text or "").splitlines():
        line = line.strip().lstrip("#>*-+ ").strip()
        if line:
            return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"
    return ""


def _present(matches: list[Match]) -> list[Similar]:
    """The matches with what the reader sees: the incident, its postmortem, the cause (the
    taxonomy tree, or the first line of its cause section) and its follow-ups (3 queries)."""
    ids = [m.key for m in matches]
    incidents = Incident.objects.select_related("severity").in_bulk(ids)
    postmortems = {p.incident_id: p for p in Postmortem.objects.filter(incident_id__in=ids)}
    followups = {
        row["incident_id"]: row
        for row in ActionItem.objects.filter(incident_id__in=ids, phase=ActionPhase.FOLLOW_UP)
        .values("incident_id")
        .annotate(
            total=Count("id"),
            pending=Count("id", filter=Q(status__in=(ActionStatus.OPEN, ActionStatus.IN_PROGRESS))),
        )
    }
    out = []
    for match in matches:
        postmortem = postmortems.get(match.key)
        cause = ""
        if postmortem is not None:
            cause = postmortem.taxonomy_tree or first_line(
                cause_text(postmortem.sections, postmortem.five_whys)
            )
        counts: Any = followups.get(match.key, {})
        out.append(
            Similar(
                incident=incidents[match.key],
                match=match,
                postmortem=postmortem,
                cause=cause,
                followups_open=counts.get("pending", 0),
                followups_total=counts.get("total", 0),
            )
        )
    return out

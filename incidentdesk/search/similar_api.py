"""GET /api/v1/incidents/{reference}/similar: the incidents most like one, as the incident
page's "Seen before" panel shows them."""

from datetime import datetime

from ninja import Query, Router, Schema
from pydantic import Field

from incidentdesk.core.errors import NotFound
from incidentdesk.core.schemas import Clean
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents import selectors
from incidentdesk.search.similar import similar_to_incident

router = Router()


class SimilarFilters(Clean):
    limit: int = Field(5, ge=1, le=20)


class SimilarOut(Schema):
    reference: str
    title: str
    severity: str
    status: str
    declared_at: datetime
    score: float
    why: str
    shared_words: list[str]
    shared_components: list[str]
    shared_terms: list[str]
    shared_labels: list[str]
    postmortem_status: str | None
    cause: str
    followups_total: int
    followups_open: int


@router.get("/incidents/{reference}/similar", response=list[SimilarOut], tags=["search"])
def similar(request, reference: str, filters: Query[SimilarFilters]):
    """The earlier incidents most like this one that the caller may see, best first, each
    with why (shared words, components, cause terms, alert labels), its postmortem's status,
    cause and follow-ups. A restricted incident the caller may not see is a 404, the same as
    a missing one, and never appears in an answer."""
    reference = refuse_unsafe_characters(reference, field="reference")
    incident = selectors.visible_incident(reference, viewer=request.auth)
    if incident is None:
        raise NotFound(f"no incident {reference!r}", field="reference")
    return [
        {
            "reference": item.incident.reference,
            "title": item.incident.title,
            "severity": item.incident.severity.key,
            "status": item.incident.status,
            "declared_at": item.incident.declared_at,
            "score": round(item.match.score, 4),
            "why": item.why,
            "shared_words": item.match.shared_words[:10],
            "shared_components": item.match.shared_components,
            "shared_terms": item.match.shared_terms,
            "shared_labels": item.match.shared_labels,
            "postmortem_status": item.postmortem.status if item.postmortem else None,
            "cause": item.cause,
            "followups_total": item.followups_total,
            "followups_open": item.followups_open,
        }
        for item in similar_to_incident(incident, viewer=request.auth, limit=filters.limit)
    ]

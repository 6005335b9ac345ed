"""GET /api/v1/search: full-text search over what the caller may see."""

from datetime import datetime

from ninja import Query, Router, Schema
from pydantic import Field

from incidentdesk.core.schemas import Clean
from incidentdesk.search import selectors

router = Router()


class SearchFilters(Clean):
    q: str = ""
    kind: str = Field("", description="incident, entry, action, postmortem; comma-separated")
    status: str = Field("", description="the incident's status, or open for any open one")
    page: int = Field(1, ge=1)
    size: int = Field(selectors.PAGE_SIZE, ge=1, le=selectors.MAX_PAGE_SIZE)


class SearchHitOut(Schema):
    kind: str
    id: int
    incident: str
    incident_title: str
    incident_status: str
    title: str
    snippet: str
    snippet_html: str
    section: str
    url: str
    when: datetime | None
    score: float


class SearchOut(Schema):
    query: str
    terms: str
    count: int
    counts: dict[str, int]
    page: int
    pages: int
    items: list[SearchHitOut]


@router.get("/search", response=SearchOut, tags=["search"])
def search(request, filters: Query[SearchFilters]):
    """Incidents, timeline entries, action items and postmortem sections matching `q`, best
    first, only from incidents the caller may see. `q` is read as words (all must appear),
    `"a phrase"`, `word*` (a prefix) and `-word` (must not appear); anything else in it is
    ignored. An empty `q`, or one over 200 characters, is a 422 naming `q`."""
    results = selectors.search(
        viewer=request.auth,
        query=filters.q,
        kinds=filters.kind.split(","),
        status=filters.status,
        page=filters.page,
        size=filters.size,
    )
    return selectors.results_data(results)

"""The /search page: the form, the results with their kind badges and highlighted words, and
the states that help (nothing typed yet, nothing found)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from incidentdesk.core.errors import ValidationError, as_sentence
from incidentdesk.incidents.models import IncidentStatus
from incidentdesk.search import selectors
from incidentdesk.search.rules import MAX_QUERY_LENGTH

TEMPLATE = "search/search.html"


def _page_number(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 10**6))
    except ValueError:
        return 1


@login_required
def search_page(request):
    q = request.GET.get("q", "").strip()
    kind = request.GET.get("kind", "").strip()
    status = request.GET.get("status", "").strip()
    context = {
        "q": q,
        "kind": kind if kind in selectors.KIND_LABELS else "",
        "status": status if status in selectors.STATUSES else "",
        "kinds": selectors.KIND_PLURALS,
        "statuses": [("open", "Open (any)"), *IncidentStatus.choices],
        "max_length": MAX_QUERY_LENGTH,
        "results": None,
        "error": None,
    }
    code = 200
    if q:
        ask = {
            "viewer": request.user,
            "query": q,
            "kinds": [context["kind"]],
            "status": context["status"],
        }
        try:
            try:
                results = selectors.search(**ask, page=_page_number(request.GET.get("page")))
            except ValidationError as exc:
                if exc.field != "page":
                    raise
                results = selectors.search(**ask)  # a page past the last shows the first
            context["results"] = results
            context["total"] = sum(results.counts.values())
            context["kind_counts"] = [
                (value, text, results.counts.get(value, 0))
                for value, text in selectors.KIND_PLURALS.items()
            ]
            context["first_number"] = (results.page - 1) * results.size + 1
        except ValidationError as exc:
            words = f"Your search {exc.message}" if exc.field == "q" else exc.message
            context["error"], code = as_sentence(words), 422
    template = f"{TEMPLATE}#results" if request.htmx else TEMPLATE
    return render(request, template, context, status=code)

"""The doors of similar incidents on the web: the declare page's preview (GET
/incidents/similar, an HTML fragment the declare form asks for with htmx as the title is
typed) and the incident page's "Seen before" panel, registered with incidents/panels.py.

The panel costs the incident page nothing: it asks for its list (GET
/incidents/<ref>/similar) once the page has loaded, and the live refresh leaves it alone
(its template draws nothing out of band), so a busy incident watched by many people ranks
its similar incidents once per page view, not once per change. Without JavaScript the panel
is a link to the same list as a page of its own."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.text import unsafe_character
from incidentdesk.core.web import web_errors
from incidentdesk.incidents import panels
from incidentdesk.incidents.models import Component, Incident
from incidentdesk.incidents.page import load_incident
from incidentdesk.incidents.services.catalog import severity_lookup
from incidentdesk.search.similar import similar_to_draft, similar_to_incident

PANEL_LIMIT = 5
PREVIEW_LIMIT = 5
MAX_COMPONENTS = 50


@login_required
@require_GET
def similar_preview(request):
    """Past incidents like the one being declared: `title`, `summary`, `impact`, `severity`
    (any spelling the form takes) and `components` (ids or names, repeatable). Anything it
    cannot read is left out of the question, never refused: the form itself says what is
    wrong when it is sent."""
    ask = request.GET
    title, summary = ask.get("title", "")[:200], ask.get("summary", "")[:4000]
    found = similar_to_draft(
        viewer=request.user,
        title=title,
        summary=summary,
        impact=ask.get("impact", "")[:4000],
        severity=_severity(ask.get("severity", "")),
        components=_components(ask.getlist("components")),
        limit=PREVIEW_LIMIT,
    )
    asked = bool(title.strip() or summary.strip())
    return render(request, "search/similar_preview.html", {"similar": found, "asked": asked})


def _severity(text: str):
    if not text.strip():
        return None
    try:
        return severity_lookup(text[:32])
    except IncidentDeskError:
        return None


def _components(values: list[str]) -> list[Component]:
    values = [v.strip() for v in values[:MAX_COMPONENTS] if v.strip() and not unsafe_character(v)]
    ids = [int(v) for v in values if v.isascii() and v.isdigit() and len(v) <= 9]
    names = [v[:100] for v in values if not v.isdigit()]
    if not (ids or names):
        return []
    return list(Component.objects.filter(pk__in=ids) | Component.objects.filter(name__in=names))


def similar_panel(request, incident: Incident) -> dict:
    """The panel's context: nothing to read, the panel asks for its list after the page."""
    return {}


@login_required
@require_GET
@web_errors
def incident_similar(request, reference: str):
    """The incidents most like this one that the reader may see: the panel's list for htmx,
    else a page of its own. 404 for an incident the reader may not see, as for a missing one."""
    incident = load_incident(request, reference)
    found = similar_to_incident(incident, viewer=request.user, limit=PANEL_LIMIT)
    template = "similar_results.html" if request.htmx else "similar_page.html"
    return render(request, f"search/{template}", {"incident": incident, "similar": found})


def register() -> None:
    panels.register(
        "similar",
        template="search/similar_panel.html",
        context=similar_panel,
        order=40,  # the last of the side column, after the actions
        column=panels.SIDE,
    )

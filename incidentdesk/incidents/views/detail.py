"""The incident page's views: the page, its timeline panel alone (htmx), and the answers of
writes made from it. What the page shows is built in incidents/page.py, panel by panel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from incidentdesk.core.web import web_errors
from incidentdesk.incidents import live
from incidentdesk.incidents.forms import TimelineFilterForm
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.page import (
    TEMPLATE,
    incident_context,
    load_incident,
    render_incident_page,
    timeline_context,
)

__all__ = [
    "incident_detail",
    "incident_timeline",
    "load_incident",
    "render_detail",
    "render_part",
    "written",
]


@login_required
@web_errors
def incident_detail(request, reference: str):
    live.read_before_drawing(request, reference)
    incident = load_incident(request, reference)
    return render_incident_page(request, incident)


@login_required
@web_errors
def incident_timeline(request, reference: str):
    """The timeline's entries alone, searched and filtered (for htmx, which shows the page's
    address with the same query, so it can be shared); without htmx, the page filtered."""
    incident = load_incident(request, reference)
    url = reverse("incident_detail", args=[incident.reference])
    query = TimelineFilterForm.query_string(request.GET)
    if not request.htmx:
        return redirect(f"{url}?{query}#timeline" if query else f"{url}#timeline")
    # Only the entries are drawn, so only the timeline's part of the page's context is built.
    response = render(request, f"{TEMPLATE}#timeline", timeline_context(request, incident))
    response["HX-Replace-Url"] = f"{url}?{query}" if query else url
    return response


def render_detail(request, incident: Incident, *, status: int = 422, **forms):
    """The page again after a failed plain-form write, with the bound form and its errors."""
    return render_incident_page(request, incident, status=status, **forms)


def render_part(request, incident: Incident, part: str, *, status: int = 422, **forms):
    """After a failed write, the bound form with its errors where it was: for htmx, the page's
    part `part` alone (a partial of the page: "header", "facts", "times", "roles",
    "actions", "timeline", "entry-form"), to be swapped over it; otherwise the whole page."""
    if not request.htmx:
        return render_detail(request, incident, status=status, **forms)
    context = incident_context(request, incident, **forms)
    return render(request, f"{TEMPLATE}#{part}", context, status=status)


def written(request, reference: str, message: str, anchor: str = "", reply=None):
    """The answer to a successful write: for htmx, a message plus every panel swapped out of
    band (a change often touches several: status, times, roles, timeline); otherwise a
    redirect back to the page (post/redirect/get)."""
    if request.htmx:
        incident = load_incident(request, reference)
        context = incident_context(request, incident, message=message, reply=reply)
        return render(request, "incidents/_refresh.html", context)
    messages.success(request, message)
    url = reverse("incident_detail", args=[reference])
    return redirect(f"{url}#{anchor}" if anchor else url)

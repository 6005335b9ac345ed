"""The incident page's views: the page, its timeline panel alone (htmx), and the answers of
writes made from it. What the page shows is built in incidents/page.py, panel by panel."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse

from incidentdesk.core.web import web_errors
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.page import (
    TEMPLATE,
    incident_context,
    load_incident,
    render_incident_page,
    timeline_context,
)

__all__ = ["incident_detail", "incident_timeline", "load_incident", "render_detail", "written"]


@login_required
@web_errors
def incident_detail(request, reference: str):
    incident = load_incident(request, reference)
    return render_incident_page(request, incident)


@login_required
@web_errors
def incident_timeline(request, reference: str):
    """The timeline panel alone (for the htmx filter); without htmx, the page filtered."""
    incident = load_incident(request, reference)
    if not request.htmx:
        url = reverse("incident_detail", args=[incident.reference])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}#timeline" if query else f"{url}#timeline")
    # Only the panel is drawn, so only its part of the page's context is built.
    return render(request, f"{TEMPLATE}#timeline", timeline_context(request, incident))


def render_detail(request, incident: Incident, *, status: int = 422, **forms):
    """The page again after a failed plain-form write, with the bound form and its errors."""
    return render_incident_page(request, incident, status=status, **forms)


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

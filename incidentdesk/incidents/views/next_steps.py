""" "Not now" on a next step of the incident page: hidden for this viewer, on this incident."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidentdesk.core.web import web_errors
from incidentdesk.incidents import next_steps
from incidentdesk.incidents.page import load_incident


@login_required
@require_POST
@web_errors
def dismiss(request, reference: str, name: str):
    incident = load_incident(request, reference)
    next_steps.dismiss(request, incident, name)
    return redirect(reverse("incident_detail", args=[incident.reference]) + "#next-steps")

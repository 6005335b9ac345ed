"""The declare form."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, web_errors
from incidentdesk.incidents import services
from incidentdesk.incidents.forms import DeclareForm


@login_required
@web_errors
def incident_declare(request):
    require(request.user, Perm.INCIDENT_DECLARE)
    form = DeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            incident = services.incident_declare(
                actor=request.user, source=ActionSource.WEB, **form.service_arguments()
            )
        except IncidentDeskError as exc:
            return form_failed(request, exc, form, lambda: _page(request, form))
        return redirect("incident_detail", incident.reference)
    return _page(request, form)


def _page(request, form):
    return render(
        request,
        "incidents/declare.html",
        {"form": form, "time_zone": settings.TIME_ZONE},
        status=422 if form.errors else 200,
    )

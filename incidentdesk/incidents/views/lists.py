"""The dashboard and the incident list."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.incidents import live, selectors, setup_checks
from incidentdesk.incidents.models import Component, IncidentKind, IncidentStatus, Severity

FILTERS = ("q", "status", "severity", "component", "kind")


@login_required
def dashboard(request):
    live.read_before_drawing(request)
    open_incidents = list(selectors.open_incidents_by_severity(viewer=request.user))
    overdue = selectors.overdue_actions(viewer=request.user).order_by("due_date")
    context = {
        "open_incidents": open_incidents,
        "my_roles": selectors.my_roles(request.user),
        "overdue": list(overdue[:50]),
    }
    # A fresh install says what it still lacks, to admins, until every item is done.
    if has_perm(request.user, Perm.USER_MANAGE):
        items = setup_checks.checklist()
        if not setup_checks.complete(items):
            context["setup"] = items
    return render(request, "incidents/dashboard.html", context)


@login_required
def incident_list(request):
    live.read_before_drawing(request)
    filters = {name: request.GET.get(name, "").strip() for name in FILTERS}
    incidents = selectors.incident_list(
        viewer=request.user,
        query=filters["q"],
        status=filters["status"],
        severity=filters["severity"],
        component=filters["component"],
        kind=filters["kind"],
    )
    page = Paginator(incidents, selectors.PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "filtered": any(filters.values()),
        "statuses": [("open", "Open (any)"), *IncidentStatus.choices],
        "severities": Severity.objects.all(),
        "components": Component.objects.select_related("group"),
        "kinds": IncidentKind.choices,
    }
    template = "incidents/list.html#results" if request.htmx else "incidents/list.html"
    return render(request, template, context)

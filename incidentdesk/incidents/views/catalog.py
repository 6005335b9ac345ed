"""The catalog page: severity levels (admins) and components (managers)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.incidents import services
from incidentdesk.incidents.forms import ComponentForm, SeverityForm
from incidentdesk.incidents.models import Component, Severity


def _render(request, status: int = 200, **forms):
    context = {
        "severities": Severity.objects.all(),
        "components": Component.objects.select_related("group"),
        "severity_form": forms.get("severity_form") or SeverityForm(),
        "component_form": forms.get("component_form") or ComponentForm(),
        "open_form": forms.get("open_form", ""),
    }
    return render(request, "incidents/catalog.html", context, status=status)


@login_required
def catalog(request):
    return _render(request)


@login_required
@require_POST
@web_errors
def severity_save(request):
    """Create a level (`create=1`) or change one; a failed create shows the form again."""
    form = SeverityForm(request.POST)
    create = request.POST.get("create") == "1"
    try:
        parsed(form)
        services.severity_save(
            actor=request.user, source=ActionSource.WEB, create=create, **form.service_arguments()
        )
    except IncidentDeskError as exc:
        if not create:  # a change comes from the row's Edit popover: a message answers it
            raise
        return form_failed(
            request,
            exc,
            form,
            lambda: _render(request, 422, severity_form=form, open_form="severity"),
        )
    messages.success(request, f"Severity {form.cleaned_data['name']} saved.")
    return redirect("catalog")


@login_required
@require_POST
@web_errors
def component_save(request, component_id: int | None = None):
    component = get_object_or_404(Component, pk=component_id) if component_id else None
    form = ComponentForm(request.POST)
    try:
        parsed(form)
        data = form.cleaned_data
        services.component_save(
            actor=request.user,
            source=ActionSource.WEB,
            component=component,
            name=data["name"],
            description=data["description"],
            group=data["group"] or None,
            position=data["position"],
        )
    except IncidentDeskError as exc:
        if component is not None:  # likewise, from the row's Edit popover
            raise
        return form_failed(
            request,
            exc,
            form,
            lambda: _render(request, 422, component_form=form, open_form="component"),
        )
    messages.success(request, f"Component {form.cleaned_data['name']} saved.")
    return redirect("catalog")

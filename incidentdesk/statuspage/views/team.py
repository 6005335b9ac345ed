"""The team's status page screens: the "Status page" panel of the incident page (publish, post
an update, resolve) and the /statuspage/ overview (component statuses, maintenance, banner).
Views parse a form, call one service, and answer; errors go through core/web.py."""

from typing import cast

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import ChoiceField
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.incidents.models import Component, Incident
from incidentdesk.incidents.page import load_incident, render_incident_page
from incidentdesk.statuspage import services
from incidentdesk.statuspage.appearance import LOGO_MAX_BYTES, page_settings_set
from incidentdesk.statuspage.forms import (
    BannerForm,
    ComponentStatusForm,
    MaintenanceForm,
    MaintenanceUpdateForm,
    PageSettingsForm,
    PublicUpdateForm,
    PublishForm,
    ResolveForm,
)
from incidentdesk.statuspage.models import (
    PageSettings,
    PublicIncident,
)
from incidentdesk.statuspage.render_failures import failing_documents
from incidentdesk.statuspage.selectors import page_status

WEB = ActionSource.WEB


def _on_form(form, exc: IncidentDeskError) -> IncidentDeskError:
    """`exc` with a `components.<id>` field named as that component's select on `form`."""
    if exc.field and exc.field.startswith("components."):
        name = "component_" + exc.field.removeprefix("components.")
        if name in form.fields:
            return type(exc)(exc.message, field=name)
    return exc


def _panel_failed(request, incident, form_key: str, form, exc: IncidentDeskError):
    """The incident page again, the failed form bound with its errors next to the fields (the
    status page panel is built with the page; only the bound form is new)."""
    return form_failed(
        request,
        _on_form(form, exc),
        form,
        lambda: render_incident_page(
            request, incident, status=422, **{form_key: form}, statuspage_open=form_key
        ),
    )


def _done(request, incident: Incident, message: str):
    messages.success(request, message)
    return redirect(reverse("incident_detail", args=[incident.reference]) + "#statuspage")


def _publication(incident: Incident) -> PublicIncident:
    publication = PublicIncident.objects.filter(incident=incident).first()
    if publication is None:
        raise NotFound("this incident is not published on the status page", field="incident")
    return publication


def panel_write(view):
    return login_required(require_POST(web_errors(view)))


@panel_write
def publish(request, reference: str):
    incident = load_incident(request, reference)
    form = PublishForm(request.POST)
    try:
        parsed(form)
        services.publication_create(
            actor=request.user, source=WEB, incident=incident, **form.service_arguments()
        )
    except IncidentDeskError as exc:
        return _panel_failed(request, incident, "publish_form", form, exc)
    return _done(request, incident, "Published on the status page.")


@panel_write
def post_update(request, reference: str):
    incident = load_incident(request, reference)
    publication = _publication(incident)
    form = PublicUpdateForm(request.POST)
    try:
        data = parsed(form)
        services.publication_update(
            actor=request.user,
            source=WEB,
            public_incident=publication,
            message=data["message"],
            status=data["status"],
            components=form.components(),
            notify=data["notify"],
        )
    except IncidentDeskError as exc:
        return _panel_failed(request, incident, "public_update_form", form, exc)
    return _done(request, incident, "Update posted on the status page.")


@panel_write
def resolve(request, reference: str):
    incident = load_incident(request, reference)
    publication = _publication(incident)
    form = ResolveForm(request.POST)
    try:
        data = parsed(form)
        services.publication_resolve(
            actor=request.user,
            source=WEB,
            public_incident=publication,
            message=data["message"],
            restore_components=data["restore_components"],
            notify=data["notify"],
        )
    except IncidentDeskError as exc:
        return _panel_failed(request, incident, "resolve_form", form, exc)
    return _done(request, incident, "Resolved on the status page.")


# The /statuspage/ overview ------------------------------------------------------------------


def _overview(request, status: int = 200, **forms):
    indicator, description = page_status()
    page = PageSettings.load()
    maintenance = PublicIncident.objects.maintenances().order_by("-scheduled_for", "-id")
    components = list(Component.objects.select_related("group").order_by("position", "name"))
    context = {
        "page": page,
        "indicator": indicator,
        "description": description,
        "components": components,
        "group_ids": {c.group_id for c in components if c.group_id},
        "open_maintenance": maintenance.exclude(status="completed").with_details(),
        "past_maintenance": maintenance.filter(status="completed").with_details()[:10],
        "published": PublicIncident.objects.unresolved().with_incident_seen_by(request.user),
        "maintenance_form": forms.get("maintenance_form") or MaintenanceForm(),
        "maintenance_update_form": MaintenanceUpdateForm(),
        "banner_form": forms.get("banner_form") or _banner_form(page),
        "page_form": forms.get("page_form") or PageSettingsForm(initial={"name": page.name}),
        "component_statuses": cast(ChoiceField, ComponentStatusForm.base_fields["status"]).choices,
        "render_failures": failing_documents(),
    }
    return render(request, "statuspage/internal/overview.html", context, status=status)


def _banner_form(page: PageSettings) -> BannerForm:
    return BannerForm(
        initial={
            "active": page.banner_active,
            "kind": page.banner_kind,
            "message": page.banner_message,
        }
    )


@login_required
def overview(request):
    return _overview(request)


def overview_write(view):
    return login_required(require_POST(web_errors(view)))


def _back_to_overview(request, message: str, anchor: str):
    messages.success(request, message)
    return redirect(reverse("statuspage_overview") + f"#{anchor}")


@overview_write
def component_status(request, component_id: int):
    component = get_object_or_404(Component, pk=component_id)
    data = parsed(ComponentStatusForm(request.POST))
    services.component_status_change(
        actor=request.user, source=WEB, component=component, status=data["status"]
    )
    return _back_to_overview(
        request, f"{component.name} is now {data['status'].replace('_', ' ')}.", "components"
    )


@overview_write
def maintenance_create(request):
    form = MaintenanceForm(request.POST)
    try:
        data = parsed(form)
        services.maintenance_schedule(
            actor=request.user,
            source=WEB,
            name=data["name"],
            message=data["message"],
            scheduled_for=data["scheduled_for"],
            scheduled_until=data["scheduled_until"],
            components=data["components"],
            auto_transition=data["auto_transition"],
            remind_prior=data["remind_prior"],
            notify_subscribers=data["notify_subscribers"],
        )
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _overview(request, 422, maintenance_form=form)
        )
    return _back_to_overview(request, f"Maintenance scheduled: {data['name']}.", "maintenance")


@overview_write
def maintenance_update(request, public_id: str):
    maintenance = get_object_or_404(PublicIncident, public_id=public_id, is_maintenance=True)
    data = parsed(MaintenanceUpdateForm(request.POST))
    services.maintenance_update(
        actor=request.user,
        source=WEB,
        maintenance=maintenance,
        status=data["status"],
        message=data["message"],
        notify=data["notify"],
    )
    label = data["status"].replace("_", " ")
    return _back_to_overview(request, f"{maintenance.name}: {label}.", "maintenance")


@overview_write
def banner(request):
    form = BannerForm(request.POST)
    try:
        data = parsed(form)
        services.banner_set(
            actor=request.user,
            source=WEB,
            active=data["active"],
            kind=data["kind"],
            message=data["message"],
        )
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _overview(request, 422, banner_form=form))
    return _back_to_overview(
        request, "Banner shown." if data["active"] else "Banner hidden.", "banner"
    )


@overview_write
def page_settings(request):
    form = PageSettingsForm(request.POST, request.FILES)
    try:
        data = parsed(form)
        upload = data["logo"]
        page = page_settings_set(
            actor=request.user,
            source=WEB,
            name=data["name"],
            # One byte past the limit is enough for the service to refuse a large file.
            logo=upload.read(LOGO_MAX_BYTES + 1) if upload else None,
            remove_logo=data["remove_logo"],
        )
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _overview(request, 422, page_form=form))
    return _back_to_overview(request, f"The public page is now “{page.name}”.", "page")

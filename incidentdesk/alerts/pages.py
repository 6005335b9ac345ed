"""The alerts web pages: integrations and routes (admins), alert groups (everyone signed in;
responders acknowledge and resolve). Views parse a form, call one service and answer; errors
go through core/web.py. The intake doors are in views.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.alerts import routes, selectors, services
from incidentdesk.alerts.forms import (
    OP_CHOICES,
    IntegrationForm,
    RouteForm,
    filled,
    matcher_rows,
)
from incidentdesk.alerts.models import GroupStatus, Integration
from incidentdesk.alerts.snippets import snippets
from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.oncall.models import EscalationPolicy, PageStatus

WEB = ActionSource.WEB
GROUPS_PER_PAGE = 50
GROUP_STATUSES = [("open", "Open (firing or acknowledged)"), *GroupStatus.choices, ("any", "Any")]


# Integrations ------------------------------------------------------------------------------


def _integrations(request, form=None, status: int = 200):
    context = {
        "integrations": list(selectors.integrations_overview(request.user)),
        "form": form or IntegrationForm(),
        "form_open": form is not None,
    }
    return render(request, "alerts/integrations.html", context, status=status)


@login_required
@web_errors
def integration_list(request):
    return _integrations(request)


@login_required
@require_POST
@web_errors
def integration_create(request):
    require(request.user, Perm.INTEGRATION_MANAGE)
    form = IntegrationForm(request.POST)
    try:
        data = parsed(form)
        integration, key = services.integration_create(
            actor=request.user,
            source=WEB,
            kind=data["kind"],
            name=data["name"],
            signed=data["signed"],
        )
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _integrations(request, form, 422))
    url = services.intake_url(integration, key)
    context = {
        "integration": integration,
        "url": url,
        "key": key,
        "signing_secret": integration.signing_secret(),
        "snippets": snippets(integration, url, key),
    }
    response = render(request, "alerts/integration_created.html", context, status=201)
    response["Cache-Control"] = "no-store"  # the key is shown once: never from a cache
    return response


def _confirm(request, *, title: str, question: str, button: str, back: str, back_label: str):
    context = {
        "title": title,
        "question": question,
        "button": button,
        "back_url": reverse(back),
        "back_label": back_label,
    }
    return render(request, "alerts/confirm.html", context)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def integration_revoke(request, integration_id: int):
    """GET asks to confirm; POST revokes."""
    if request.method == "GET":
        found = selectors.integrations_for(request.user).filter(pk=integration_id).first()
        if found is None:
            raise NotFound(f"no integration with id {integration_id}", field="integration")
        return _confirm(
            request,
            title=f"Revoke {found.name}",
            question=f"Revoke the integration {found.name} ({found.get_kind_display()})? "
            "Its sender is refused (404) from now on, and its key cannot be brought back. "
            "Its groups and alerts stay.",
            button=f"Revoke {found.name}",
            back="alert_integrations",
            back_label="Integrations",
        )
    integration = services.integration_revoke(
        actor=request.user, source=WEB, integration_id=integration_id
    )
    messages.success(request, f"{integration.name} is revoked: its key finds nothing from now on.")
    return redirect("alert_integrations")


# Alert groups ------------------------------------------------------------------------------


def _integration_filter(value: str) -> int | None:
    return int(value) if value.isdigit() else None


@login_required
@web_errors
def group_list(request):
    status = request.GET.get("status", "open")
    status = status if status in dict(GROUP_STATUSES) else "open"
    integration = _integration_filter(request.GET.get("integration", ""))
    groups = selectors.groups_for(
        request.user, status="" if status == "any" else status, integration=integration
    )
    page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "integration": integration,
        "statuses": GROUP_STATUSES,
        "integrations": Integration.objects.order_by("name", "pk"),
        "filtered": status != "open" or integration is not None,
    }
    template = "alerts/groups.html#results" if request.htmx else "alerts/groups.html"
    return render(request, template, context)


@login_required
@web_errors
def group_detail(request, group_id: int):
    group = selectors.group_for(request.user, group_id)
    alerts = [
        {"alert": alert, "link": selectors.source_link(alert.source_url)}
        for alert in group.alerts.all()
    ]
    pages = selectors.group_pages(group)
    routing = selectors.group_routing(group)
    if routing["entry"] is None:
        # Routing leaves no trace of a group it only recorded: say which route matches now.
        routing["matches_now"] = routes.route_for(group, list(group.alerts.all()))
    context = {
        "group": group,
        "alerts": alerts,
        "routing": routing,
        "pages": pages,
        # Acknowledging stops a page still escalating, even when the sender acknowledged.
        "may_acknowledge": group.status == GroupStatus.FIRING
        or any(p.status in (PageStatus.OPEN, PageStatus.EXHAUSTED) for p in pages),
    }
    return render(request, "alerts/group.html", context)


def _group_write(service, done: str):
    """A view that applies `service` (acknowledge, resolve) to a group and shows its page."""

    @login_required
    @require_POST
    @web_errors
    def view(request, group_id: int):
        group = service(actor=request.user, source=WEB, group_id=group_id)
        messages.success(request, done)
        return redirect("alert_group", group.pk)

    return view


group_acknowledge = _group_write(services.group_acknowledge, "The group is acknowledged.")
group_resolve = _group_write(services.group_resolve, "The group is resolved.")


# Routes ------------------------------------------------------------------------------------


@login_required
@web_errors
def route_list(request):
    found = list(selectors.routes_for_admin(request.user))
    context = {
        "routes": found,
        "default_policy": EscalationPolicy.objects.filter(is_default=True).first(),
    }
    return render(request, "alerts/routes.html", context)


def _route_page(request, form, rows, route=None, status: int = 200, error=None):
    """The route form; `error`, a service error naming a matcher, is shown on its row."""
    context = {
        "form": form,
        "rows": rows,
        "route": route,
        "ops": OP_CHOICES,
        "failed_row": _failed_row(error.field or "") if error is not None else None,
        "failed_message": error.message if error is not None else "",
    }
    return render(request, "alerts/route_form.html", context, status=status)


def _failed_row(field: str) -> int | None:
    """The matcher row a service error names (`matchers[2].op` → 2)."""
    if field.startswith("matchers["):
        number = field.removeprefix("matchers[").split("]", 1)[0]
        return int(number) if number.isdigit() else None
    return None


def _route_initial(route) -> dict:
    return {
        "name": route.name,
        "integration": route.integration_id,
        "action": route.action,
        "severity": route.severity.key if route.severity else "",
        "components": [c.pk for c in route.components.all()],
        "pages": route.pages,
        "policy": route.policy_id,
    }


def _route_save(request, route=None):
    """Create (`route` None) or change a route from the posted form; "More rows" shows the
    form again with one more empty matcher row, saving nothing."""
    form = RouteForm(request.POST, integration=route.integration_id if route else None)
    rows = matcher_rows(request.POST)
    if "more_rows" in request.POST:
        form.is_valid()
        return _route_page(request, form, matcher_rows(request.POST, blank=3), route)
    try:
        parsed(form)
        values = {**form.service_arguments(), "matchers": filled(rows)}
        if route is None:
            values["position"] = selectors.next_route_position()
            saved = routes.route_create(actor=request.user, source=WEB, **values)
        else:
            saved = routes.route_update(actor=request.user, source=WEB, route_id=route.pk, **values)
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            form,
            lambda error=exc: _route_page(request, form, rows, route, 422, error),
        )
    messages.success(request, f"Route {saved.name or saved.pk} saved.")
    return redirect("alert_routes")


def _route_or_404(request, route_id: int):
    for route in selectors.routes_for_admin(request.user).filter(pk=route_id):
        return route
    raise NotFound(f"no route with id {route_id}", field="route")


@login_required
@web_errors
def route_new(request):
    require(request.user, Perm.INTEGRATION_MANAGE)
    if request.method == "POST":
        return _route_save(request)
    return _route_page(request, RouteForm(), matcher_rows())


@login_required
@web_errors
def route_edit(request, route_id: int):
    route = _route_or_404(request, route_id)
    require(request.user, Perm.INTEGRATION_MANAGE)
    if request.method == "POST":
        return _route_save(request, route)
    form = RouteForm(initial=_route_initial(route), integration=route.integration_id)
    return _route_page(request, form, matcher_rows(matchers=route.matchers), route)


@login_required
@require_http_methods(["GET", "POST"])
@web_errors
def route_delete(request, route_id: int):
    """GET asks to confirm; POST deletes."""
    if request.method == "GET":
        route = _route_or_404(request, route_id)
        name = route.name or f"route {route.pk}"
        return _confirm(
            request,
            title=f"Delete {name}",
            question=f"Delete the route {name}? Groups it linked to incidents stay linked; "
            "new groups are tried against the other routes.",
            button=f"Delete {name}",
            back="alert_routes",
            back_label="Routes",
        )
    routes.route_delete(actor=request.user, source=WEB, route_id=route_id)
    messages.success(request, "The route is deleted.")
    return redirect("alert_routes")


@login_required
@require_POST
@web_errors
def route_move(request, route_id: int):
    to = request.POST.get("to", "")
    routes.route_move(
        actor=request.user, source=WEB, route_id=route_id, to=int(to) if to.isdigit() else -1
    )
    return redirect("alert_routes")

"""The paging web pages: escalation policies (managers and admins write them), "Pages" (every
page with its status and what its last step did), the incident page's "Page the on-call lead"
button, acknowledging and cancelling a page, and the contact methods section of "My on-call".
Views parse a form, call one service and answer; errors go through core/web.py."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import IncidentDeskError, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import back, form_failed, parsed, web_errors
from incidentdesk.oncall import contacts, doors, page_selectors, paging, policies
from incidentdesk.oncall.models import ContactKind, PageStatus, Schedule, StepTarget
from incidentdesk.oncall.paging_forms import ContactMethodForm, PolicyForm, step_rows, steps_of

WEB = ActionSource.WEB
PAGES_SHOWN = 200


# Escalation policies -----------------------------------------------------------------------


@login_required
@web_errors
def policy_list(request):
    found = list(page_selectors.policies())
    context = {
        "policies": found,
        "default_policy": next((p for p in found if p.is_default), None),
    }
    return render(request, "oncall/policies.html", context)


def _names() -> dict[str, list[str]]:
    """What a step may name, for the form's suggestions."""
    return {
        "people": list(
            User.objects.filter(is_active=True)
            .order_by("username")
            .values_list("username", flat=True)
        ),
        "schedules": list(Schedule.objects.order_by("name").values_list("name", flat=True)),
        "policies": list(page_selectors.policies().values_list("name", flat=True)),
    }


def _policy_page(request, form, rows, policy=None, status: int = 200, failed: str = ""):
    context = {
        "form": form,
        "rows": rows,
        "policy": policy,
        "targets": StepTarget.choices,
        "names": _names(),
        "failed_row": _failed_row(failed),
        "failed_message": form.non_field_errors() if failed else "",
    }
    return render(request, "oncall/policy_form.html", context, status=status)


def _failed_row(field: str) -> int | None:
    """The step row a service error names (`steps[2].person` → 2)."""
    if field.startswith("steps["):
        number = field.removeprefix("steps[").split("]", 1)[0]
        return int(number) if number.isdigit() else None
    return None


def _policy_save(request, policy=None):
    """Create (`policy` None) or change a policy from the posted form; "More steps" shows the
    form again with more empty rows, saving nothing."""
    form = PolicyForm(request.POST)
    rows = step_rows(request.POST)
    if "more_rows" in request.POST:
        form.is_valid()
        return _policy_page(request, form, step_rows(request.POST, blank=3), policy)
    try:
        data = parsed(form)
        values = {
            "name": data["name"],
            "description": data["description"],
            "repeat": data["repeat"],
            "is_default": data["is_default"],
            "steps": steps_of(rows),
        }
        if policy is None:
            saved = policies.policy_create(actor=request.user, source=WEB, **values)
        else:
            saved = policies.policy_update(actor=request.user, source=WEB, policy=policy, **values)
    except IncidentDeskError as exc:
        failed = exc.field or ""
        if failed.startswith("steps"):
            # A step's error goes above the form, saying which step.
            exc = ValidationError(f"step {_step_number(failed)}: {exc.message}")
        return form_failed(
            request,
            exc,
            form,
            lambda: _policy_page(request, form, rows, policy, 422, failed),
        )
    messages.success(request, f"Escalation policy {saved.name} saved.")
    return redirect("oncall_policies")


def _step_number(field: str) -> str:
    row = _failed_row(field)
    return str(row + 1) if row is not None else "list"


@login_required
@web_errors
def policy_new(request):
    require(request.user, Perm.SCHEDULE_MANAGE)
    if request.method == "POST":
        return _policy_save(request)
    return _policy_page(request, PolicyForm(), step_rows())


@login_required
@web_errors
def policy_edit(request, policy_id: int):
    policy = doors.policy_by_id(policy_id)
    require(request.user, Perm.SCHEDULE_MANAGE)
    if request.method == "POST":
        return _policy_save(request, policy)
    data = page_selectors.policy_data(policy)
    initial = {k: data[k] for k in ("name", "description", "repeat", "is_default")}
    return _policy_page(
        request, PolicyForm(initial=initial), step_rows(steps=data["steps"]), policy
    )


@login_required
@require_POST
@web_errors
def policy_delete(request, policy_id: int):
    policy = doors.policy_by_id(policy_id)
    policies.policy_delete(actor=request.user, source=WEB, policy=policy)
    messages.success(request, f"Escalation policy {policy.name} is deleted.")
    return redirect("oncall_policies")


# Pages -------------------------------------------------------------------------------------


@login_required
@web_errors
def page_list(request):
    """Every page (those of restricted incidents only to who can see them), newest first;
    managers and admins, who answer for pages nobody acknowledged."""
    require(request.user, Perm.SCHEDULE_MANAGE)
    status = request.GET.get("status", "")
    if status not in PageStatus.values:
        status = ""
    found = list(doors.visible_pages(request.user, status=status)[:PAGES_SHOWN])
    context = {"pages": found, "status": status, "statuses": PageStatus.choices}
    return render(request, "oncall/pages.html", context)


@login_required
@require_POST
@web_errors
def page_acknowledge(request, page_id: int):
    page = doors.visible_page(request.user, page_id)
    page = paging.page_acknowledge(actor=request.user, source=WEB, page=page)
    messages.success(request, f"Page {page.pk} is acknowledged: the escalation has stopped.")
    return back(request, "oncall_pages")


@login_required
@require_POST
@web_errors
def page_cancel(request, page_id: int):
    page = doors.visible_page(request.user, page_id)
    reason = request.POST.get("reason", "")
    page = paging.page_cancel(actor=request.user, source=WEB, page=page, reason=reason)
    messages.success(request, f"Page {page.pk} is cancelled.")
    return back(request, "oncall_pages")


@login_required
@require_POST
@web_errors
def incident_page_lead(request, reference: str):
    """The incident page's "Page the on-call lead": the default policy, for this incident."""
    incident = doors.incident_named(reference, viewer=request.user)
    if incident is None:
        raise NotFound("there is no such incident", field="incident")
    page = paging.page_create(actor=request.user, source=WEB, incident=incident)
    who = page.policy.name if page.policy else "the on-call lead"
    messages.success(request, f"Paged {who} (page {page.pk}).")
    return redirect("incident_detail", incident.reference)


# Contact methods (the section of "My on-call") ---------------------------------------------


def contact_methods_context(user, form=None) -> dict:
    """What the contact methods section shows: the person's methods in order, and the form."""
    methods = contacts.contact_methods_of(user)
    for method in methods:  # a webhook's receiver checks signatures with its secret
        if method.kind == ContactKind.WEBHOOK:
            method.signing_secret = contacts.webhook_secret(method.pk)  # type: ignore[attr-defined]
    return {
        "contact_methods": methods,
        "contact_form": form or ContactMethodForm(),
    }


@login_required
@web_errors
def contact_methods(request):
    """The section on a page of its own (also reached when adding one fails)."""
    return render(request, "oncall/contact_methods.html", contact_methods_context(request.user))


@login_required
@require_POST
@web_errors
def contact_add(request):
    form = ContactMethodForm(request.POST)
    try:
        data = parsed(form)
        contacts.contact_method_add(actor=request.user, source=WEB, user=request.user, **data)
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            form,
            lambda: render(
                request,
                "oncall/contact_methods.html",
                contact_methods_context(request.user, form),
                status=422,
            ),
        )
    messages.success(request, "Contact method added.")
    return back(request, "oncall_contact_methods")


@login_required
@require_POST
@web_errors
def contact_remove(request, method_id: int):
    method = doors.own_contact_method(request.user, method_id)
    contacts.contact_method_remove(actor=request.user, source=WEB, method=method)
    messages.success(request, "Contact method removed.")
    return back(request, "oncall_contact_methods")


@login_required
@require_POST
@web_errors
def contact_move(request, method_id: int):
    method = doors.own_contact_method(request.user, method_id)
    to = request.POST.get("position", "")
    contacts.contact_method_move(
        actor=request.user, source=WEB, method=method, position=int(to) if to.isdigit() else 0
    )
    return back(request, "oncall_contact_methods")

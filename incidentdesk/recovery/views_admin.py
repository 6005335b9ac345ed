"""The recovery admin pages: the systems catalog (`/recovery/systems`) and the runbook templates
(`/recovery/runbooks`). Everyone signed in reads them; admins (Perm.RECOVERY_MANAGE) write them
through the services, whose refusals land next to the field they name."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import IncidentDeskError, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.recovery import runbooks, systems
from incidentdesk.recovery.forms import RunbookForm, SystemForm, step_rows, steps_of
from incidentdesk.recovery.models import (
    RunbookTemplate,
    StandardStep,
    StepKind,
    System,
)
from incidentdesk.recovery.tasks import webhook_secret

WEB = ActionSource.WEB


def _system(system_id: int) -> System:
    found = System.objects.filter(pk=system_id).first()
    if found is None:
        raise NotFound("there is no such system", field="system")
    return found


def _runbook(runbook_id: int) -> RunbookTemplate:
    found = RunbookTemplate.objects.filter(pk=runbook_id).first()
    if found is None:
        raise NotFound("there is no such runbook", field="runbook")
    return found


# Systems --------------------------------------------------------------------------------------


def _systems_page(request, form, *, status: int = 200, open_form: bool = False):
    found = System.objects.select_related("owner").prefetch_related("components", "runbooks")
    context = {"systems": list(found), "form": form, "open_form": open_form}
    return render(request, "recovery/systems.html", context, status=status)


def _system_values(form) -> dict:
    data = parsed(form)
    return {
        "name": data["name"],
        "description": data["description"],
        "owner": data["owner"],
        "rto_minutes": data["rto_minutes"],
        "rpo_minutes": data["rpo_minutes"],
        "components": [int(c) for c in data["components"]],
    }


@login_required
@web_errors
def system_list(request):
    """The systems, and (for admins) the form that adds one."""
    if request.method != "POST":
        return _systems_page(request, SystemForm())
    require(request.user, Perm.RECOVERY_MANAGE)
    form = SystemForm(request.POST)
    try:
        saved = systems.system_create(actor=request.user, source=WEB, **_system_values(form))
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            form,
            lambda: _systems_page(request, form, status=422, open_form=True),
        )
    messages.success(request, f"System {saved.name} added.")
    return redirect("recovery_systems")


def _system_page(request, system, form, *, status: int = 200):
    # Admins only reach this page: the key the receiver of its automated steps checks.
    context = {"system": system, "form": form, "signing_key": webhook_secret(system.pk)}
    return render(request, "recovery/system_form.html", context, status=status)


@login_required
@web_errors
def system_edit(request, system_id: int):
    system = _system(system_id)
    require(request.user, Perm.RECOVERY_MANAGE)
    if request.method != "POST":
        initial = {
            "name": system.name,
            "description": system.description,
            "owner": system.owner.username,
            "rto_minutes": system.rto_minutes,
            "rpo_minutes": system.rpo_minutes,
            "components": [str(c.pk) for c in system.components.all()],
        }
        return _system_page(request, system, SystemForm(initial=initial))
    form = SystemForm(request.POST)
    try:
        values = _system_values(form)
        systems.system_update(actor=request.user, source=WEB, system=system, **values)
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            form,
            lambda: _system_page(request, system, form, status=422),
        )
    messages.success(request, f"System {values['name']} saved.")
    return redirect("recovery_systems")


@login_required
@require_POST
@web_errors
def system_delete(request, system_id: int):
    system = _system(system_id)
    systems.system_delete(actor=request.user, source=WEB, system=system)
    messages.success(request, f"System {system.name} is deleted.")
    return redirect("recovery_systems")


# Runbook templates ----------------------------------------------------------------------------


@login_required
@web_errors
def runbook_list(request):
    found = RunbookTemplate.objects.select_related("system").prefetch_related("steps__owner")
    context = {"runbooks": list(found), "builtin": runbooks.default_steps()}
    return render(request, "recovery/runbooks.html", context)


def _failed_row(field: str) -> int | None:
    """The step row a service error names (`steps[2].title` → 2)."""
    if field.startswith("steps["):
        number = field.removeprefix("steps[").split("]", 1)[0]
        return int(number) if number.isdigit() else None
    return None


def _runbook_page(request, form, rows, runbook=None, *, status: int = 200, failed: str = ""):
    context = {
        "form": form,
        "rows": rows,
        "runbook": runbook,
        "kinds": StepKind.choices,
        "standards": StandardStep.choices,
        "people": User.objects.filter(is_active=True).order_by("username"),
        "failed_row": _failed_row(failed),
    }
    return render(request, "recovery/runbook_form.html", context, status=status)


def _runbook_save(request, runbook=None):
    """Create (`runbook` None) or change a template from the posted form; "More steps" shows
    the form again with more empty rows, saving nothing."""
    form = RunbookForm(request.POST)
    rows = step_rows(request.POST)
    if "more_rows" in request.POST:
        form.is_valid()
        return _runbook_page(request, form, step_rows(request.POST, blank=3), runbook)
    try:
        data = parsed(form)
        values = {
            "name": data["name"],
            "description": data["description"],
            "system": data["system"] or None,
            "steps": steps_of(rows),
        }
        if runbook is None:
            saved = runbooks.runbook_template_create(actor=request.user, source=WEB, **values)
        else:
            saved = runbooks.runbook_template_update(
                actor=request.user, source=WEB, template=runbook, **values
            )
    except IncidentDeskError as exc:
        failed = exc.field or ""
        row = _failed_row(failed)
        if failed.startswith("steps"):
            # A step's error goes above the form, saying which step.
            where = f"step {row + 1}" if row is not None else "steps"
            exc = ValidationError(f"{where}: {exc.message}")
        return form_failed(
            request,
            exc,
            form,
            lambda: _runbook_page(request, form, rows, runbook, status=422, failed=failed),
        )
    messages.success(request, f"Runbook {saved.name} saved.")
    return redirect("recovery_runbooks")


@login_required
@web_errors
def runbook_new(request):
    require(request.user, Perm.RECOVERY_MANAGE)
    if request.method == "POST":
        return _runbook_save(request)
    rows = [{"standard": "", **s, "owner": "", "webhook_url": ""} for s in runbooks.default_steps()]
    return _runbook_page(request, RunbookForm(), rows + step_rows(steps=[]))


@login_required
@web_errors
def runbook_edit(request, runbook_id: int):
    runbook = _runbook(runbook_id)
    require(request.user, Perm.RECOVERY_MANAGE)
    if request.method == "POST":
        return _runbook_save(request, runbook)
    initial = {
        "name": runbook.name,
        "description": runbook.description,
        "system": runbook.system.name if runbook.system else "",
    }
    rows = step_rows(steps=runbook.steps.select_related("owner"))
    return _runbook_page(request, RunbookForm(initial=initial), rows, runbook)


@login_required
@require_POST
@web_errors
def runbook_delete(request, runbook_id: int):
    runbook = _runbook(runbook_id)
    runbooks.runbook_template_delete(actor=request.user, source=WEB, template=runbook)
    messages.success(request, f"Runbook {runbook.name} is deleted.")
    return redirect("recovery_runbooks")

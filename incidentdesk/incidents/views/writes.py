"""Writes from the incident page. Each parses a form, calls one service, and answers through
`written` (success) or, on failure, with its form again and the error as a sentence at the
field it names (`form_failed`: the whole page without htmx, the form's part of the page in
place with htmx; the command box's reply under the box). All are plain POST forms that also
answer htmx."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.errors import (
    IncidentDeskError,
    NotAuthenticated,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, is_page_error, parsed, web_errors
from incidentdesk.incidents import services
from incidentdesk.incidents.forms import (
    ActionForm,
    ActionStatusForm,
    CommandForm,
    DetailsEditForm,
    EntryEditForm,
    EntryForm,
    LinksEditForm,
    RoleAssignForm,
    StatusForm,
    TimesEditForm,
)
from incidentdesk.incidents.models import ActionItem, TimelineEntry
from incidentdesk.incidents.views.detail import load_incident, render_part, written

WEB = ActionSource.WEB
EDIT_FORMS = {"details": DetailsEditForm, "links": LinksEditForm, "times": TimesEditForm}
# Each edit form's part of the page (its partial) and that part's element, where a failed
# write shows the form again.
EDIT_PARTS = {
    "details": ("header", "#incident-header"),
    "links": ("facts", "#incident-facts"),
    "times": ("times", "#incident-times"),
}
# The status form's fields shown next to their input; any other error (the status itself, a
# refusal of the move) is shown at the top of the form, as a whole sentence.
STATUS_FIELDS = ("reason", "message", "blocked_until")


def in_place(request, exc, form, incident, part: str, element: str, **context):
    """Answer a failed write with its form again, the error at its field: the page's part
    `part` (swapped over `element` for htmx; the whole page otherwise, see render_part)."""
    return form_failed(
        request,
        exc,
        form,
        lambda: render_part(request, incident, part, **context),
        in_place=element,
    )


def incident_write(view):
    """POST only, signed in, service errors mapped in one place."""
    return login_required(require_POST(web_errors(view)))


@incident_write
def status_change(request, reference: str):
    incident = load_incident(request, reference)
    form = StatusForm(request.POST)
    try:
        data = parsed(form)
        incident = services.incident_set_status(
            actor=request.user,
            source=WEB,
            incident=incident,
            status=data["status"],
            reason=data["reason"],
            message=data["message"],
            blocked_until=data["blocked_until"],
            resolve_publicly=not data["internal_only"],
        )
    except IncidentDeskError as exc:
        if is_page_error(exc):
            raise
        if exc.field not in STATUS_FIELDS:
            exc = IncidentDeskError(exc.sentence)  # above the form, not at a hidden input
        return in_place(
            request, exc, form, incident, "header", "#incident-header", status_form=form
        )
    return written(request, reference, f"Status is now {incident.get_status_display().lower()}.")


@incident_write
def role_assign(request, reference: str):
    incident = load_incident(request, reference)
    form = RoleAssignForm(request.POST)
    try:
        data = parsed(form)
        user = user_by_handle(data["person"])
        services.role_assign(
            actor=request.user, source=WEB, incident=incident, role=data["role"], user=user
        )
    except IncidentDeskError as exc:
        if isinstance(exc, NotAuthenticated | PermissionDenied):
            raise
        # A person not found is about this form, not a missing page.
        failed = {"role": request.POST.get("role", ""), "error": exc.sentence}
        exc = IncidentDeskError(exc.sentence)
        return in_place(request, exc, form, incident, "roles", "#roles", role_failed=failed)
    return written(
        request, reference, f"{user.display_name} is now {data['role'].replace('_', ' ')}.", "roles"
    )


@incident_write
def role_release(request, reference: str):
    incident = load_incident(request, reference)
    data = parsed(RoleAssignForm(request.POST))
    user = user_by_handle(data["person"])
    services.role_release(
        actor=request.user, source=WEB, incident=incident, role=data["role"], user=user
    )
    return written(request, reference, f"{user.display_name} released.", "roles")


@incident_write
def entry_add(request, reference: str):
    incident = load_incident(request, reference)
    form = EntryForm(request.POST)
    try:
        data = parsed(form)
        services.timeline_entry_add(actor=request.user, source=WEB, incident=incident, **data)
    except IncidentDeskError as exc:
        return in_place(
            request,
            exc,
            form,
            incident,
            "entry-form",
            "#entry-add",
            entry_form=form,
            entry_form_open=True,
        )
    return written(request, reference, "Entry added to the timeline.", "timeline")


def _entry(incident, entry_id: int) -> TimelineEntry:
    return get_object_or_404(TimelineEntry, pk=entry_id, incident=incident)


@incident_write
def entry_edit(request, reference: str, entry_id: int):
    incident = load_incident(request, reference)
    entry = _entry(incident, entry_id)
    form = EntryEditForm(request.POST)
    try:
        data = parsed(form)
        services.timeline_entry_edit(actor=request.user, source=WEB, entry=entry, body=data["body"])
    except IncidentDeskError as exc:
        failed = {"id": entry.pk, "body": request.POST.get("body", ""), "error": exc.sentence}
        return in_place(
            request, exc, form, incident, "timeline", "#timeline", entry_edit_failed=failed
        )
    return written(
        request, reference, "Entry updated; the earlier text is kept.", f"entry-{entry.pk}"
    )


@incident_write
def entry_pin(request, reference: str, entry_id: int):
    entry = _entry(load_incident(request, reference), entry_id)
    pinned = request.POST.get("pinned") == "1"
    services.timeline_entry_pin(actor=request.user, source=WEB, entry=entry, pinned=pinned)
    return written(request, reference, "Pinned." if pinned else "Unpinned.", f"entry-{entry.pk}")


@incident_write
def action_add(request, reference: str):
    incident = load_incident(request, reference)
    form = ActionForm(request.POST)
    try:
        data = parsed(form)
        args = form.service_arguments()
        services.action_item_create(
            actor=request.user, source=WEB, incident=incident, title=args.pop("title"), **args
        )
    except IncidentDeskError as exc:
        return in_place(
            request,
            exc,
            form,
            incident,
            "actions",
            "#actions",
            action_form=form,
            action_form_open=True,
        )
    return written(request, reference, f"Action item added: {data['title']}", "actions")


@incident_write
def action_status(request, reference: str, action_id: int):
    incident = load_incident(request, reference)
    item = get_object_or_404(
        ActionItem.objects.select_related("incident"), pk=action_id, incident=incident
    )
    form = ActionStatusForm(request.POST)
    try:
        data = parsed(form)
        changes = {"status": data["status"]}
        if data["wont_do_reason"]:
            changes["wont_do_reason"] = data["wont_do_reason"]
        services.action_item_update(actor=request.user, source=WEB, item=item, changes=changes)
    except IncidentDeskError as exc:
        failed = {
            "id": item.pk,
            "status": request.POST.get("status", ""),
            "reason": request.POST.get("wont_do_reason", ""),
            "error": exc.sentence,
        }
        return in_place(
            request, exc, form, incident, "actions", "#actions", action_status_failed=failed
        )
    return written(
        request, reference, f"“{item.title}” is now {item.get_status_display().lower()}.", "actions"
    )


@incident_write
def incident_edit(request, reference: str, section: str):
    incident = load_incident(request, reference)
    form_class = EDIT_FORMS.get(section)
    if form_class is None:
        raise ValidationError(f"unknown section {section!r}", field="section")
    form = form_class(request.POST, incident=incident)
    try:
        parsed(form)
        services.incident_update(
            actor=request.user, source=WEB, incident=incident, changes=form.changes()
        )
    except IncidentDeskError as exc:
        opened = {f"{section}_form": form, f"{section}_form_open": True}
        part, element = EDIT_PARTS[section]
        return in_place(request, exc, form, incident, part, element, **opened)
    return written(request, reference, "Saved.", section)


@incident_write
def command(request, reference: str):
    """The command box: one line of the command language, run as the signed-in user. A refusal
    is its reply, under the box, as a sentence ("Status cannot go from …", "No active account
    …"), whatever it is about; only a missing incident or a signed-out user leave the page."""
    incident = load_incident(request, reference)
    try:
        data = parsed(CommandForm(request.POST))
        result = services.command_run(
            actor=request.user, source=WEB, incident=incident, text=data["text"]
        )
    except IncidentDeskError as exc:
        if isinstance(exc, NotAuthenticated) or (is_page_error(exc) and not request.htmx):
            raise
        if not request.htmx:
            messages.error(request, exc.sentence)
            return redirect(reverse("incident_detail", args=[reference]) + "#command")
        context = {"reply": {"text": exc.sentence, "error": True}}
        return render(
            request, "incidents/detail.html#command-reply", context, status=exc.status_code
        )
    if not request.htmx:
        for warning in result.warnings:
            messages.warning(request, warning)
    reply = {"text": result.reply, "warnings": result.warnings}
    return written(request, reference, result.reply, "command", reply=reply)

"""The schedule pages: every schedule with who is on call now (/oncall/), one schedule with its
next two weeks, layers and overrides (/oncall/<id>/; managers and admins edit them there), "My
on-call" (/oncall/me) and the secret calendar feed (/oncall/calendar/<token>.ics). Views parse a
form, call one service and answer; errors go through core/web.py."""

from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.oncall import calendar, selectors, services
from incidentdesk.oncall.schedule_forms import LayerForm, OverrideForm, ScheduleForm

WEB = ActionSource.WEB


def _feed_url(request, feed) -> str:
    return request.build_absolute_uri(calendar.feed_path(feed))


# Every schedule ------------------------------------------------------------------------------


def _list_page(request, *, form=None, status: int = 200):
    now = timezone.now()
    rows = [
        {"schedule": s, "answer": selectors.on_call_data(s, now)} for s in selectors.schedules()
    ]
    form = form or ScheduleForm(initial={"time_zone": "UTC"})
    return render(request, "oncall/schedules.html", {"rows": rows, "form": form}, status=status)


@login_required
@require_GET
@web_errors
def schedule_list(request):
    return _list_page(request)


@login_required
@require_POST
@web_errors
def schedule_create(request):
    require(request.user, Perm.SCHEDULE_MANAGE)
    form = ScheduleForm(request.POST)
    try:
        schedule = services.schedule_create(actor=request.user, source=WEB, **parsed(form))
    except IncidentDeskError as exc:
        return form_failed(request, exc, form, lambda: _list_page(request, form=form, status=422))
    messages.success(request, f"Schedule {schedule.name} is created. Add a layer to it.")
    return redirect("oncall_schedule", schedule.pk)


# One schedule --------------------------------------------------------------------------------


def _detail(request, schedule, *, status: int = 200, **forms):
    now = timezone.now()
    today = now.astimezone(ZoneInfo(schedule.time_zone)).date()
    layers = sorted(schedule.layers.all(), key=lambda layer: -layer.position)
    ids = {pk for layer in layers for pk in layer.people}
    names = dict(User.objects.filter(pk__in=ids).values_list("pk", "username"))
    failed_layer = forms.get("failed_layer")
    layer_rows = [
        {
            "layer": layer,
            "data": selectors.layer_words(layer, names),
            "form": failed_layer
            if failed_layer is not None and failed_layer.prefix == f"layer-{layer.pk}"
            else LayerForm.for_layer(layer, names),
        }
        for layer in layers
    ]
    context = {
        "schedule": schedule,
        "answer": selectors.on_call_data(schedule, now),
        "days": selectors.calendar_days(schedule, today),
        "layer_rows": layer_rows,
        "overrides": selectors.upcoming_overrides(schedule, now),
        "schedule_form": forms.get("schedule_form")
        or ScheduleForm(
            initial={
                "name": schedule.name,
                "time_zone": schedule.time_zone,
                "description": schedule.description,
            },
            prefix="schedule",
        ),
        "layer_form": forms.get("layer_form")
        or LayerForm(
            prefix="new-layer", initial={"rotation_start": today, "handoff_time": "09:00"}
        ),
        "override_form": forms.get("override_form")
        or OverrideForm(prefix="override", zone=schedule.time_zone),
        "feed_url": _feed_url(request, calendar.feed_for(schedule=schedule)),
    }
    return render(request, "oncall/schedule.html", context, status=status)


@login_required
@require_GET
@web_errors
def schedule_detail(request, schedule_id: int):
    return _detail(request, selectors.schedule_by_id(schedule_id))


def _managed(request, schedule_id: int):
    require(request.user, Perm.SCHEDULE_MANAGE)  # before the lookup: ids are not probed
    return selectors.schedule_by_id(schedule_id)


@login_required
@require_POST
@web_errors
def schedule_update(request, schedule_id: int):
    schedule = _managed(request, schedule_id)
    form = ScheduleForm(request.POST, prefix="schedule")
    try:
        services.schedule_update(actor=request.user, source=WEB, schedule=schedule, **parsed(form))
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _detail(request, schedule, status=422, schedule_form=form)
        )
    messages.success(request, "The schedule is saved.")
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def schedule_delete(request, schedule_id: int):
    schedule = _managed(request, schedule_id)
    services.schedule_delete(actor=request.user, source=WEB, schedule=schedule)
    messages.success(request, f"Schedule {schedule.name} is deleted.")
    return redirect("oncall_schedules")


@login_required
@require_POST
@web_errors
def layer_add(request, schedule_id: int):
    schedule = _managed(request, schedule_id)
    form = LayerForm(request.POST, prefix="new-layer")
    try:
        services.layer_add(actor=request.user, source=WEB, schedule=schedule, **form.layer_fields())
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _detail(request, schedule, status=422, layer_form=form)
        )
    messages.success(request, "The layer is added on top.")
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def layer_update(request, schedule_id: int, layer_id: int):
    schedule = _managed(request, schedule_id)
    layer = selectors.layer_of(schedule, layer_id)
    form = LayerForm(request.POST, prefix=f"layer-{layer.pk}")
    try:
        services.layer_update(actor=request.user, source=WEB, layer=layer, **form.layer_fields())
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _detail(request, schedule, status=422, failed_layer=form)
        )
    messages.success(request, f"Layer {layer.position} is saved.")
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def layer_move(request, schedule_id: int, layer_id: int):
    """Up swaps the layer with the one above it (which it then overrides), down with the one
    below."""
    schedule = _managed(request, schedule_id)
    layer = selectors.layer_of(schedule, layer_id)
    others = schedule.layers.exclude(pk=layer.pk)
    if request.POST.get("direction") == "up":
        neighbour = others.filter(position__gt=layer.position).order_by("position").first()
    else:
        neighbour = others.filter(position__lt=layer.position).order_by("-position").first()
    if neighbour is not None:
        services.layer_update(
            actor=request.user, source=WEB, layer=layer, position=neighbour.position
        )
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def layer_remove(request, schedule_id: int, layer_id: int):
    schedule = _managed(request, schedule_id)
    layer = selectors.layer_of(schedule, layer_id)
    services.layer_remove(actor=request.user, source=WEB, layer=layer)
    messages.success(request, f"Layer {layer.position} is removed.")
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def override_add(request, schedule_id: int):
    schedule = _managed(request, schedule_id)
    form = OverrideForm(request.POST, prefix="override", zone=schedule.time_zone)
    try:
        data = parsed(form)
        services.override_add(
            actor=request.user,
            source=WEB,
            schedule=schedule,
            user=data["user"],
            start=form.local(data["start"]),
            end=form.local(data["end"]),
        )
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _detail(request, schedule, status=422, override_form=form)
        )
    messages.success(request, "The override is added.")
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def override_remove(request, schedule_id: int, override_id: int):
    schedule = _managed(request, schedule_id)
    override = selectors.override_of(schedule, override_id)
    services.override_remove(actor=request.user, source=WEB, override=override)
    messages.success(request, "The override is removed.")
    return redirect("oncall_schedule", schedule.pk)


@login_required
@require_POST
@web_errors
def schedule_calendar_reset(request, schedule_id: int):
    schedule = _managed(request, schedule_id)
    services.calendar_feed_reset(actor=request.user, source=WEB, schedule=schedule)
    messages.success(request, "The schedule has a new calendar URL; the old one stopped working.")
    return redirect("oncall_schedule", schedule.pk)


# My on-call ----------------------------------------------------------------------------------


@login_required
@require_GET
@web_errors
def my_oncall(request):
    context = {
        "shifts": selectors.my_shifts(request.user),
        "feed_url": _feed_url(request, calendar.feed_for(user=request.user)),
        "window_days": (calendar.WINDOW_BEFORE.days, calendar.WINDOW_AFTER.days),
    }
    return render(request, "oncall/mine.html", context)


@login_required
@require_POST
@web_errors
def my_calendar_reset(request):
    services.calendar_feed_reset(actor=request.user, source=WEB, user=request.user)
    messages.success(request, "Your calendar has a new URL; the old one stopped working.")
    return redirect("oncall_mine")


# The secret calendar feed ---------------------------------------------------------------------


@require_GET
def calendar_feed(request, token: str):
    """The token is the authority (no session): a wrong or reset one is a plain 404."""
    feed = calendar.feed_by_token(token)
    if feed is None:
        raise Http404("no such calendar")
    response = HttpResponse(calendar.feed_ics(feed), content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response

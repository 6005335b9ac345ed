"""Schedule endpoints of the JSON API (/api/v1): schedules, their layers and overrides, and
who is on call now or at a time. Parse, call the service or selector, render."""

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status

from incidentdesk.core.schemas import Moment, Strict
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall import calendar, selectors, services
from incidentdesk.oncall.resolution import schedule_shifts

router = Router(tags=["on-call"])
API = ActionSource.API


class LayerOut(Schema):
    id: int
    position: int
    name: str
    people: list[str]
    rotation_start: str
    handoff_time: str
    rotation_length: int
    rotation_unit: str
    restrictions: list[dict[str, Any]]


class OverrideOut(Schema):
    id: int
    user: str
    start: datetime
    end: datetime


class ScheduleOut(Schema):
    id: int
    name: str
    time_zone: str
    description: str
    layers: list[LayerOut]
    overrides: list[OverrideOut]
    on_call: list[str]


class OnCallPerson(Schema):
    user: str
    display_name: str
    until: datetime | None


class ScheduleRef(Schema):
    id: int
    name: str
    time_zone: str


class OnCallOut(Schema):
    schedule: ScheduleRef
    at: datetime
    on_call: list[OnCallPerson]


class ShiftOut(Schema):
    schedule: str
    user: str
    start: datetime
    end: datetime


class ScheduleIn(Strict):
    """A new schedule; `layers` are checked by the service, which names `layers[n].field`."""

    name: str
    time_zone: str
    description: str = ""
    layers: list[Any] = []


class SchedulePatch(Strict):
    name: str | None = None
    time_zone: str | None = None
    description: str | None = None


class LayerIn(Strict):
    people: list[int | str]
    rotation_start: str
    handoff_time: str
    rotation_length: int = 1
    rotation_unit: str = "days"
    restrictions: list[Any] = []
    position: int | None = None
    name: str = ""


class LayerPatch(Strict):
    people: list[int | str] | None = None
    rotation_start: str | None = None
    handoff_time: str | None = None
    rotation_length: int | None = None
    rotation_unit: str | None = None
    restrictions: list[Any] | None = None
    position: int | None = None
    name: str | None = None


class OverrideIn(Strict):
    user: int | str
    start: Moment
    end: Moment


@router.get("/schedules", response=list[ScheduleOut])
def list_schedules(request):
    return [selectors.schedule_data(s) for s in selectors.schedules()]


@router.post("/schedules", response={201: ScheduleOut})
def create_schedule(request, payload: ScheduleIn):
    schedule = services.schedule_create(actor=request.auth, source=API, **payload.dict())
    return Status(201, selectors.schedule_data(schedule))


@router.get("/schedules/{schedule_id}", response=ScheduleOut)
def get_schedule(request, schedule_id: int):
    return selectors.schedule_data(selectors.schedule_by_id(schedule_id))


@router.patch("/schedules/{schedule_id}", response=ScheduleOut)
def update_schedule(request, schedule_id: int, payload: SchedulePatch):
    schedule = services.schedule_update(
        actor=request.auth,
        source=API,
        schedule=selectors.schedule_by_id(schedule_id),
        **payload.dict(exclude_unset=True),
    )
    return selectors.schedule_data(schedule)


@router.delete("/schedules/{schedule_id}", response={204: None})
def delete_schedule(request, schedule_id: int):
    schedule = selectors.schedule_by_id(schedule_id)
    services.schedule_delete(actor=request.auth, source=API, schedule=schedule)
    return Status(204, None)


@router.post("/schedules/{schedule_id}/layers", response={201: LayerOut})
def add_layer(request, schedule_id: int, payload: LayerIn):
    layer = services.layer_add(
        actor=request.auth,
        source=API,
        schedule=selectors.schedule_by_id(schedule_id),
        **payload.dict(),
    )
    return Status(201, selectors.layer_data(layer))


@router.patch("/schedules/{schedule_id}/layers/{layer_id}", response=LayerOut)
def update_layer(request, schedule_id: int, layer_id: int, payload: LayerPatch):
    layer = selectors.layer_of(selectors.schedule_by_id(schedule_id), layer_id)
    layer = services.layer_update(
        actor=request.auth, source=API, layer=layer, **payload.dict(exclude_unset=True)
    )
    return selectors.layer_data(layer)


@router.delete("/schedules/{schedule_id}/layers/{layer_id}", response={204: None})
def remove_layer(request, schedule_id: int, layer_id: int):
    layer = selectors.layer_of(selectors.schedule_by_id(schedule_id), layer_id)
    services.layer_remove(actor=request.auth, source=API, layer=layer)
    return Status(204, None)


@router.post("/schedules/{schedule_id}/overrides", response={201: OverrideOut})
def add_override(request, schedule_id: int, payload: OverrideIn):
    override = services.override_add(
        actor=request.auth,
        source=API,
        schedule=selectors.schedule_by_id(schedule_id),
        **payload.dict(),
    )
    return Status(201, selectors.override_data(override))


@router.delete("/schedules/{schedule_id}/overrides/{override_id}", response={204: None})
def remove_override(request, schedule_id: int, override_id: int):
    override = selectors.override_of(selectors.schedule_by_id(schedule_id), override_id)
    services.override_remove(actor=request.auth, source=API, override=override)
    return Status(204, None)


@router.get("/schedules/{schedule_id}/on-call", response=OnCallOut)
def schedule_on_call(request, schedule_id: int, at: str | None = None):
    """Who is on call at `at` (ISO 8601 with its zone; now when left out), until when."""
    schedule = selectors.schedule_by_id(schedule_id)
    return selectors.on_call_data(schedule, selectors.parse_at(at))


@router.get("/schedules/{schedule_id}/shifts", response=list[ShiftOut])
def schedule_shift_list(request, schedule_id: int, start: str, end: str):
    """The final shifts from `start` to `end` (ISO 8601 with zones; at most 366 days)."""
    schedule = selectors.schedule_by_id(schedule_id)
    begin, finish = selectors.parse_window(start, end)
    return selectors.shifts_data(schedule_shifts(schedule, begin, finish))


class CalendarOut(Schema):
    url: str


@router.get("/schedules/{schedule_id}/calendar", response=CalendarOut)
def schedule_calendar(request, schedule_id: int):
    """The schedule's secret iCalendar URL (every signed-in account may read it)."""
    schedule = selectors.schedule_by_id(schedule_id)
    return {"url": calendar.feed_url(calendar.feed_for(schedule=schedule))}


@router.post("/schedules/{schedule_id}/calendar/reset", response=CalendarOut)
def reset_schedule_calendar(request, schedule_id: int):
    schedule = selectors.schedule_by_id(schedule_id)
    feed = services.calendar_feed_reset(actor=request.auth, source=API, schedule=schedule)
    return {"url": calendar.feed_url(feed)}


@router.get("/on-call/me/calendar", response=CalendarOut)
def my_calendar(request):
    """Your own secret iCalendar URL: your shifts in every schedule."""
    return {"url": calendar.feed_url(calendar.feed_for(user=request.auth))}


@router.post("/on-call/me/calendar/reset", response=CalendarOut)
def reset_my_calendar(request):
    feed = services.calendar_feed_reset(actor=request.auth, source=API, user=request.auth)
    return {"url": calendar.feed_url(feed)}


@router.get("/on-call", response=list[OnCallOut])
def everyone_on_call(request, at: str | None = None):
    """Who is on call in every schedule, now (or at `at`)."""
    when = selectors.parse_at(at)
    return [selectors.on_call_data(s, when) for s in selectors.schedules()]

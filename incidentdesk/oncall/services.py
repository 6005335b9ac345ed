"""Every write to on-call schedules. Managers and admins write them (Perm.SCHEDULE_MANAGE);
bad input is refused naming the field, and nothing is stored.

"Overlapping" layers are refused: two layers of one schedule never share a position (the one
above would be ambiguous), and a layer that repeats another (the same people in the same order,
rotation and restrictions) is refused, since it could never change an answer. Restriction
windows of one layer may not overlap, and the overrides of one schedule may not overlap either
(who answers would depend on which was made first)."""

from datetime import date, datetime, time
from functools import cache
from typing import Any
from zoneinfo import available_timezones

from django.db import transaction
from django.db.models import Max, ProtectedError

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm, require
from incidentdesk.accounts.services import person_lookup
from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.moments import check_day, check_moment
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.oncall.models import CalendarFeed, Layer, Override, RotationUnit, Schedule
from incidentdesk.oncall.resolution import END_OF_DAY

NAME_MAX = 100
MAX_PEOPLE = 100
MAX_WINDOWS = 50


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def check_time_zone(value: str, *, field: str = "time_zone") -> str:
    """An IANA zone name zoneinfo knows (e.g. Europe/Berlin)."""
    if not isinstance(value, str) or value not in _zones():
        raise ValidationError(f"unknown time zone {value!r}; give an IANA name", field=field)
    return value


def _name(value: str, *, field: str, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError("is required", field=field)
    if len(value) > NAME_MAX:
        raise ValidationError(f"at most {NAME_MAX} characters", field=field)
    return refuse_unsafe_characters(value, field=field)


def _date(value, *, field: str) -> date:
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError("give a date as YYYY-MM-DD", field=field) from None
    return check_day(value, field=field)


def _time(value, *, field: str) -> time:
    if isinstance(value, time):
        parsed = value
    else:
        try:
            parsed = time.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError("give a time as HH:MM", field=field) from None
    if parsed.tzinfo is not None:
        raise ValidationError("give a local time, without a zone", field=field)
    return parsed


def _windows(value, *, field: str = "restrictions") -> list[dict]:
    """Restriction windows as stored: `{"weekday": 1..7, "start": "HH:MM", "end": "HH:MM"}`,
    start before end on the same day; "24:00" ends at midnight (a night shift is two windows)."""
    if value is None:
        return []
    if not isinstance(value, list) or len(value) > MAX_WINDOWS:
        raise ValidationError(f"give a list of at most {MAX_WINDOWS} windows", field=field)
    windows: list[dict] = []
    for index, window in enumerate(value):
        where = f"{field}[{index}]"
        if not isinstance(window, dict):
            raise ValidationError("give weekday, start and end", field=where)
        weekday = window.get("weekday")
        if not isinstance(weekday, int) or isinstance(weekday, bool) or not 1 <= weekday <= 7:
            raise ValidationError(
                "a weekday from 1 (Monday) to 7 (Sunday)", field=f"{where}.weekday"
            )
        start = _time(window.get("start"), field=f"{where}.start")
        if window.get("end") == END_OF_DAY:
            end_text = END_OF_DAY
        else:
            end = _time(window.get("end"), field=f"{where}.end")
            if end <= start:
                raise ValidationError("must be after the start", field=f"{where}.end")
            end_text = end.isoformat("minutes")
        window = {"weekday": weekday, "start": start.isoformat("minutes"), "end": end_text}
        for other in windows:
            if (
                other["weekday"] == weekday
                and _minutes(other["start"]) < _minutes(end_text)
                and _minutes(start.isoformat("minutes")) < _minutes(other["end"])
            ):
                raise ValidationError(
                    f"overlaps {other['start']}–{other['end']} on the same weekday", field=where
                )
        windows.append(window)
    return windows


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)


def schedule_create(
    *,
    actor: User,
    source: ActionSource,
    name: str,
    time_zone: str,
    description: str = "",
    layers: list[dict] | None = None,
) -> Schedule:
    """A schedule, with its `layers` (each the arguments of `layer_add`) in the same
    transaction: a refused layer names its place (`layers[1].people`) and nothing is stored."""
    require(actor, Perm.SCHEDULE_MANAGE)
    name = _name(name, field="name")
    check_time_zone(time_zone)
    description = refuse_unsafe_characters(description or "", field="description")
    if layers is not None and not isinstance(layers, list):
        raise ValidationError("give a list of layers", field="layers")
    with transaction.atomic():
        if Schedule.objects.filter(name=name).exists():
            raise ValidationError(f"a schedule named {name!r} exists", field="name")
        schedule = Schedule.objects.create(
            name=name, time_zone=time_zone, description=description, created_by=actor
        )
        for index, layer in enumerate(layers or []):
            where = f"layers[{index}]"
            if not isinstance(layer, dict):
                raise ValidationError("give a layer's fields", field=where)
            try:
                layer_add(actor=actor, source=source, schedule=schedule, **layer)
            except ValidationError as exc:
                raise ValidationError(exc.message, field=f"{where}.{exc.field}") from exc
            except TypeError as exc:
                raise ValidationError(f"unknown field: {exc}", field=where) from exc
    return schedule


def schedule_update(
    *,
    actor: User,
    source: ActionSource,
    schedule: Schedule,
    name: str | None = None,
    time_zone: str | None = None,
    description: str | None = None,
) -> Schedule:
    """Rename a schedule, move it to another zone (its layers keep their local times) or
    change its description; fields left None stay."""
    require(actor, Perm.SCHEDULE_MANAGE)
    changes: dict = {}
    if name is not None:
        changes["name"] = _name(name, field="name")
    if time_zone is not None:
        changes["time_zone"] = check_time_zone(time_zone)
    if description is not None:
        changes["description"] = refuse_unsafe_characters(description, field="description")
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        if (
            "name" in changes
            and Schedule.objects.filter(name=changes["name"]).exclude(pk=schedule.pk).exists()
        ):
            raise ValidationError(f"a schedule named {changes['name']!r} exists", field="name")
        for field, value in changes.items():
            setattr(schedule, field, value)
        schedule.save()
    return schedule


def schedule_delete(*, actor: User, source: ActionSource, schedule: Schedule) -> None:
    """Delete a schedule with its layers, overrides and calendar URL; refused while an
    escalation policy pages it."""
    require(actor, Perm.SCHEDULE_MANAGE)
    try:
        with transaction.atomic():
            Schedule.objects.filter(pk=schedule.pk).delete()
    except ProtectedError:
        raise InvalidTransition(
            "an escalation policy pages this schedule; change the policy first",
            field="schedule",
        ) from None


def _layer_values(
    *,
    people: list,
    rotation_start: date | str,
    handoff_time: time | str,
    rotation_length: int,
    rotation_unit: str,
    restrictions: list | None,
    name: str,
) -> dict:
    """A layer's fields, checked; errors name the field."""
    if not isinstance(people, list | tuple) or not people:
        raise ValidationError("a layer needs at least one person", field="people")
    if len(people) > MAX_PEOPLE:
        raise ValidationError(f"at most {MAX_PEOPLE} people", field="people")
    if (
        not isinstance(rotation_length, int)
        or isinstance(rotation_length, bool)
        or rotation_length <= 0
    ):
        raise ValidationError("a whole number of at least 1", field="rotation_length")
    if rotation_unit not in RotationUnit.values:
        raise ValidationError(f"one of {', '.join(RotationUnit.values)}", field="rotation_unit")
    return {
        "name": _name(name, field="name", required=False),
        "people": [person_lookup(p, field="people").pk for p in people],
        "rotation_start": _date(rotation_start, field="rotation_start"),
        "handoff_time": _time(handoff_time, field="handoff_time"),
        "rotation_length": rotation_length,
        "rotation_unit": rotation_unit,
        "restrictions": _windows(restrictions),
    }


REPEATED = ("people", "rotation_start", "handoff_time", "rotation_length", "rotation_unit")


def _refuse_repeat(schedule: Schedule, values: dict, *, besides: int | None = None) -> None:
    others = schedule.layers.all()
    if besides is not None:
        others = others.exclude(pk=besides)
    for other in others:
        if all(getattr(other, f) == values[f] for f in REPEATED) and sorted(
            other.restrictions, key=str
        ) == sorted(values["restrictions"], key=str):
            raise ValidationError(
                f"layer {other.position} already has these people on this rotation",
                field="people",
            )


def _position(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValidationError("a whole number of at least 0", field="position")
    return value


def layer_add(
    *,
    actor: User,
    source: ActionSource,
    schedule: Schedule,
    people: list,
    rotation_start: date | str,
    handoff_time: time | str,
    rotation_length: int = 1,
    rotation_unit: str = RotationUnit.DAYS,
    restrictions: list | None = None,
    position: int | None = None,
    name: str = "",
) -> Layer:
    """A rotation through `people` (in turn, ids, usernames or users), the first turn from
    `rotation_start` at `handoff_time` in the schedule's zone. Without `position` it goes on
    top of the others."""
    require(actor, Perm.SCHEDULE_MANAGE)
    values = _layer_values(
        people=people,
        rotation_start=rotation_start,
        handoff_time=handoff_time,
        rotation_length=rotation_length,
        rotation_unit=rotation_unit,
        restrictions=restrictions,
        name=name,
    )
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        taken = schedule.layers.aggregate(top=Max("position"))["top"]
        if position is None:
            position = 1 if taken is None else taken + 1
        elif schedule.layers.filter(position=_position(position)).exists():
            raise ValidationError(f"layer {position} exists in this schedule", field="position")
        _refuse_repeat(schedule, values)
        return Layer.objects.create(schedule=schedule, position=position, **values)


LAYER_FIELDS = (
    "people",
    "rotation_start",
    "handoff_time",
    "rotation_length",
    "rotation_unit",
    "restrictions",
    "name",
)


def layer_update(
    *, actor: User, source: ActionSource, layer: Layer, position: int | None = None, **changes
) -> Layer:
    """Change a layer's fields (those of `layer_add`; left out, they stay). A new `position`
    held by another layer of the schedule swaps the two, so a layer moves up or down."""
    require(actor, Perm.SCHEDULE_MANAGE)
    unknown = sorted(set(changes) - set(LAYER_FIELDS))
    if unknown:
        raise ValidationError("not a layer's field", field=unknown[0])
    if position is not None:
        position = _position(position)
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=layer.schedule_id)
        layer = Layer.objects.select_for_update().get(pk=layer.pk)
        current = {field: getattr(layer, field) for field in LAYER_FIELDS}
        given = {f: v for f, v in changes.items() if v is not None}
        values = _layer_values(**(current | given))
        _refuse_repeat(schedule, values, besides=layer.pk)
        for field, value in values.items():
            setattr(layer, field, value)
        if position is not None and position != layer.position:
            other = schedule.layers.filter(position=position).first()
            if other is not None:
                # Through a free position, so the unique (schedule, position) holds throughout.
                top = schedule.layers.aggregate(top=Max("position"))["top"]
                other.position = top + 1
                other.save(update_fields=["position"])
                other.position, layer.position = layer.position, position
                layer.save()
                other.save(update_fields=["position"])
                return layer
            layer.position = position
        layer.save()
    return layer


def layer_remove(*, actor: User, source: ActionSource, layer: Layer) -> None:
    """Remove a layer; the layers above and below keep their positions."""
    require(actor, Perm.SCHEDULE_MANAGE)
    Layer.objects.filter(pk=layer.pk).delete()


def override_add(
    *,
    actor: User,
    source: ActionSource,
    schedule: Schedule,
    user,
    start: datetime,
    end: datetime,
) -> Override:
    """`user` on call for `schedule` from `start` to `end` (timezone-aware instants);
    refused naming `start` when another override of the schedule overlaps it."""
    require(actor, Perm.SCHEDULE_MANAGE)
    person = person_lookup(user, field="user")
    start, end = check_moment(start, field="start"), check_moment(end, field="end")
    if end <= start:
        raise ValidationError("must be after the start", field="end")
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        clash = schedule.overrides.filter(start__lt=end, end__gt=start).select_related("user")
        first = clash.first()
        if first is not None:
            raise ValidationError(
                f"overlaps {first.user.username}'s override from {first.start:%Y-%m-%d %H:%M} "
                f"to {first.end:%Y-%m-%d %H:%M} UTC",
                field="start",
            )
        return Override.objects.create(
            schedule=schedule, user=person, start=start, end=end, created_by=actor
        )


def override_remove(*, actor: User, source: ActionSource, override: Override) -> None:
    """Remove an override; the layers answer for its span again."""
    require(actor, Perm.SCHEDULE_MANAGE)
    Override.objects.filter(pk=override.pk).delete()


def calendar_feed_reset(
    *, actor: User, source: ActionSource, schedule: Schedule | None = None, user=None
) -> CalendarFeed:
    """Make a new secret calendar URL for a schedule (managers) or a person (that person, or
    an admin): the feed's generation goes up, so every earlier URL stops working."""
    # A person's calendar URL is a personal secret, held like an API token.
    require(actor, Perm.SCHEDULE_MANAGE if schedule is not None else Perm.TOKEN_OWN)
    if (schedule is None) == (user is None):
        raise ValidationError("give a schedule or a person", field="schedule")
    owner: dict[str, Any]
    if schedule is not None:
        owner = {"schedule": schedule}
    else:
        person = person_lookup(user, field="user")
        if person.pk != actor.pk and not has_perm(actor, Perm.USER_MANAGE):
            raise PermissionDenied("only its owner or an admin may reset a person's calendar URL")
        owner = {"user": person}
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(**owner)
        if not created:
            feed.generation += 1
            feed.save(update_fields=["generation"])
    return feed

"""Every write to on-call schedules. Managers and admins write them (Perm.SCHEDULE_MANAGE);
bad input is refused naming the field, and nothing is stored."""

from datetime import date, datetime, time
from functools import cache
from zoneinfo import available_timezones

from django.db import transaction
from django.db.models import Max

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.oncall.models import Layer, Override, RotationUnit, Schedule
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


def _person(value, *, field: str) -> User:
    """An active account, given as a User, its id or its username."""
    if isinstance(value, User):
        user = User.objects.filter(pk=value.pk).first()
    elif isinstance(value, int) and not isinstance(value, bool):
        user = User.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        user = User.objects.filter(username=value.strip()).first()
    else:
        user = None
    if user is None:
        raise ValidationError(f"no such person: {value!r}", field=field)
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated", field=field)
    return user


def _date(value, *, field: str) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    try:
        return date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ValidationError("give a date as YYYY-MM-DD", field=field) from None


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
    windows = []
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
        windows.append({"weekday": weekday, "start": start.isoformat("minutes"), "end": end_text})
    return windows


def schedule_create(
    *, actor: User, source: ActionSource, name: str, time_zone: str, description: str = ""
) -> Schedule:
    require(actor, Perm.SCHEDULE_MANAGE)
    name = _name(name, field="name")
    check_time_zone(time_zone)
    description = refuse_unsafe_characters(description or "", field="description")
    if Schedule.objects.filter(name=name).exists():
        raise ValidationError(f"a schedule named {name!r} exists", field="name")
    return Schedule.objects.create(
        name=name, time_zone=time_zone, description=description, created_by=actor
    )


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
    name = _name(name, field="name", required=False)
    if not isinstance(people, list | tuple) or not people:
        raise ValidationError("a layer needs at least one person", field="people")
    if len(people) > MAX_PEOPLE:
        raise ValidationError(f"at most {MAX_PEOPLE} people", field="people")
    ids = [_person(p, field="people").pk for p in people]
    start = _date(rotation_start, field="rotation_start")
    handoff = _time(handoff_time, field="handoff_time")
    if (
        not isinstance(rotation_length, int)
        or isinstance(rotation_length, bool)
        or rotation_length <= 0
    ):
        raise ValidationError("a whole number of at least 1", field="rotation_length")
    if rotation_unit not in RotationUnit.values:
        raise ValidationError(f"one of {', '.join(RotationUnit.values)}", field="rotation_unit")
    windows = _windows(restrictions)
    with transaction.atomic():
        schedule = Schedule.objects.select_for_update().get(pk=schedule.pk)
        taken = schedule.layers.aggregate(top=Max("position"))["top"]
        if position is None:
            position = 1 if taken is None else taken + 1
        elif not isinstance(position, int) or isinstance(position, bool) or position < 0:
            raise ValidationError("a whole number of at least 0", field="position")
        elif schedule.layers.filter(position=position).exists():
            raise ValidationError(f"layer {position} exists in this schedule", field="position")
        return Layer.objects.create(
            schedule=schedule,
            position=position,
            name=name,
            people=ids,
            rotation_start=start,
            handoff_time=handoff,
            rotation_length=rotation_length,
            rotation_unit=rotation_unit,
            restrictions=windows,
        )


def override_add(
    *,
    actor: User,
    source: ActionSource,
    schedule: Schedule,
    user,
    start: datetime,
    end: datetime,
) -> Override:
    """`user` on call for `schedule` from `start` to `end` (timezone-aware instants)."""
    require(actor, Perm.SCHEDULE_MANAGE)
    person = _person(user, field="user")
    for field, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
            raise ValidationError("give a date and time with its time zone", field=field)
    if end <= start:
        raise ValidationError("must be after the start", field="end")
    return Override.objects.create(
        schedule=schedule, user=person, start=start, end=end, created_by=actor
    )

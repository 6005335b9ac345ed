"""Reads of on-call schedules: the public fields of a schedule, its layers and overrides (the
same for the API and the CLI's --json), who is on call now or at a time and until when, the
two-week calendar of the schedule page, and a person's current and next shifts."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import QuerySet
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.moments import check_moment
from incidentdesk.oncall.models import Layer, Override, Schedule
from incidentdesk.oncall.resolution import (
    Plan,
    Shift,
    on_call_at,
    person_shifts,
    schedule_shifts,
)

# How far ahead "until when" looks: a shift running past it is "until further notice".
UNTIL_HORIZON = timedelta(days=90)
CALENDAR_DAYS = 14
NEXT_SHIFTS = 5


def schedules() -> QuerySet[Schedule]:
    return Schedule.objects.prefetch_related("layers").order_by("name")


def schedule_by_id(schedule_id: int) -> Schedule:
    schedule = Schedule.objects.filter(pk=schedule_id).first()
    if schedule is None:
        raise NotFound(f"no schedule {schedule_id}", field="schedule")
    return schedule


def schedule_by_handle(handle: str) -> Schedule:
    """A schedule by its id or its name (any case), for the CLI and the command language."""
    handle = (handle or "").strip()
    found = Schedule.objects.filter(name__iexact=handle).first()
    if found is None and handle.isdigit():
        found = Schedule.objects.filter(pk=int(handle)).first()
    if found is None:
        raise NotFound(f"no schedule named {handle!r}", field="schedule")
    return found


def layer_of(schedule: Schedule, layer_id: int) -> Layer:
    layer = schedule.layers.filter(pk=layer_id).first()
    if layer is None:
        raise NotFound(f"no layer {layer_id} in this schedule", field="layer")
    return layer


def override_of(schedule: Schedule, override_id: int) -> Override:
    override = schedule.overrides.filter(pk=override_id).first()
    if override is None:
        raise NotFound(f"no override {override_id} in this schedule", field="override")
    return override


def _names(ids) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=set(ids)).values_list("pk", "username"))


def layer_data(layer: Layer, names: dict[int, str] | None = None) -> dict:
    names = names if names is not None else _names(layer.people)
    return {
        "id": layer.pk,
        "position": layer.position,
        "name": layer.name,
        "people": [names.get(pk, f"#{pk}") for pk in layer.people],
        "rotation_start": layer.rotation_start.isoformat(),
        "handoff_time": layer.handoff_time.isoformat("minutes"),
        "rotation_length": layer.rotation_length,
        "rotation_unit": layer.rotation_unit,
        "restrictions": layer.restrictions,
    }


def layer_words(layer: Layer, names: dict[int, str]) -> dict:
    """What the schedule page says about a layer."""
    data = layer_data(layer, names)
    unit = layer.rotation_unit.removesuffix("s")
    length = f"{layer.rotation_length} {unit}{'s' if layer.rotation_length != 1 else ''}"
    people = data["people"]
    start = f"{layer.rotation_start:%-d %b %Y} at {data['handoff_time']}"
    if len(people) == 1:
        turns = f"{people[0]} alone, from {start}."
    else:
        turns = f"{', '.join(people)} take turns of {length}, the first from {start}"
        turns += "." if unit == "hour" else f", handing over at {data['handoff_time']}."
    return data | {"only": restriction_words(layer.restrictions), "turns": turns}


def override_data(override: Override) -> dict:
    return {
        "id": override.pk,
        "user": override.user.username,
        "start": override.start,
        "end": override.end,
    }


def upcoming_overrides(schedule: Schedule, now: datetime | None = None) -> QuerySet[Override]:
    """The overrides not over yet, soonest first."""
    now = now or timezone.now()
    return schedule.overrides.filter(end__gt=now).select_related("user").order_by("start", "pk")


def schedule_data(schedule: Schedule, *, now: datetime | None = None) -> dict:
    """A schedule's public fields: its layers (top first), the overrides not over yet, and
    who is on call now."""
    now = now or timezone.now()
    layers = sorted(schedule.layers.all(), key=lambda layer: -layer.position)
    names = _names(pk for layer in layers for pk in layer.people)
    return {
        "id": schedule.pk,
        "name": schedule.name,
        "time_zone": schedule.time_zone,
        "description": schedule.description,
        "layers": [layer_data(layer, names) for layer in layers],
        "overrides": [override_data(o) for o in upcoming_overrides(schedule, now)],
        "on_call": [entry["user"] for entry in on_call_data(schedule, now)["on_call"]],
    }


def on_call_data(schedule: Schedule, when: datetime) -> dict:
    """Who is on call for `schedule` at `when`, each with the end of their shift (`until`,
    None when it runs past UNTIL_HORIZON)."""
    people = on_call_at(schedule, when)
    ends = _shift_ends(schedule, when, [p.pk for p in people])
    entries = [
        {"user": person.username, "display_name": person.display_name, "until": ends[person.pk]}
        for person in people
    ]
    return {
        "schedule": {"id": schedule.pk, "name": schedule.name, "time_zone": schedule.time_zone},
        "at": when.astimezone(UTC),
        "on_call": entries,
    }


def _shift_ends(schedule: Schedule, when: datetime, ids: list[int]) -> dict[int, datetime | None]:
    """When the shift of each of `ids` going on at `when` ends (None: not within
    UNTIL_HORIZON). Looked for a day ahead first, then further, since most end soon."""
    ends: dict[int, datetime | None] = dict.fromkeys(ids)
    for ahead in (timedelta(days=2), timedelta(days=16), UNTIL_HORIZON):
        if not ids:
            break
        horizon = when + ahead
        shifts = schedule_shifts(schedule, when, horizon)
        for user_id in ids:
            end = next(s.end for s in shifts if s.user_id == user_id and s.start <= when)
            ends[user_id] = end if end < horizon else None
        ids = [user_id for user_id in ids if ends[user_id] is None]
    return ends


def shifts_data(shifts: list[Shift]) -> list[dict]:
    """Shifts by names: `schedule`, `time_zone` (the schedule's), `user`, `start`, `end`."""
    names = _names(s.user_id for s in shifts)
    found = Schedule.objects.filter(pk__in={s.schedule_id for s in shifts})
    zones = {pk: (name, zone) for pk, name, zone in found.values_list("pk", "name", "time_zone")}
    return [
        {
            "schedule": zones.get(s.schedule_id, ("", "UTC"))[0],
            "time_zone": zones.get(s.schedule_id, ("", "UTC"))[1],
            "user": names.get(s.user_id, f"#{s.user_id}"),
            "start": s.start,
            "end": s.end,
        }
        for s in shifts
    ]


DAY_NAMES = ("", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def restriction_words(restrictions: list[dict]) -> str:
    """Windows in words, days sharing hours together: `Mon Tue Wed Thu Fri 09:00–17:00`."""
    hours: dict[tuple[str, str], list[int]] = {}
    for window in restrictions:
        hours.setdefault((window["start"], window["end"]), []).append(window["weekday"])
    return "; ".join(
        f"{' '.join(DAY_NAMES[d] for d in sorted(days))} {start}–{end}"
        for (start, end), days in hours.items()
    )


# The schedule page's calendar ---------------------------------------------------------------


@dataclass(frozen=True)
class Stretch:
    """Part of one local day: from `start` to `end` (local clock times; `end` None at
    midnight), who is on call."""

    start: time
    end: time | None
    people: list[str]


@dataclass(frozen=True)
class CalendarDay:
    day: date
    stretches: list[Stretch]


def calendar_days(schedule: Schedule, first: date, days: int = CALENDAR_DAYS) -> list[CalendarDay]:
    """`days` local days of `schedule` from `first`, each cut into stretches with one answer
    (nobody included), in the schedule's zone."""
    zone = ZoneInfo(schedule.time_zone)
    start = datetime.combine(first, time(0), tzinfo=zone)
    end = datetime.combine(first + timedelta(days=days), time(0), tzinfo=zone)
    segments = Plan.load(schedule, start, end).segments(start, end)
    names = _names(pk for segment in segments for pk in segment.people)
    found = []
    for offset in range(days):
        day = first + timedelta(days=offset)
        day_start = datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
        stretches = [
            Stretch(
                start=max(s.start, day_start).astimezone(zone).time(),
                end=None if s.end >= day_end else s.end.astimezone(zone).time(),
                people=[names.get(pk, f"#{pk}") for pk in s.people],
            )
            for s in segments
            if s.start < day_end and s.end > day_start
        ]
        found.append(CalendarDay(day, stretches))
    return found


# A person's on-call -------------------------------------------------------------------------


def my_shifts(user: User, now: datetime | None = None) -> dict:
    """`user`'s shift going on now (if any, with when it began) and the next ones, in every
    schedule, as dicts with the schedule's name."""
    now = now or timezone.now()
    # From a while back, so the current shift shows when it really began.
    shifts = person_shifts(user, now - timedelta(days=30), now + UNTIL_HORIZON)
    data = shifts_data(shifts)
    current = [d for s, d in zip(shifts, data, strict=True) if s.start <= now < s.end]
    upcoming = [d for s, d in zip(shifts, data, strict=True) if s.start > now][:NEXT_SHIFTS]
    return {"current": current, "next": upcoming}


def parse_at(value: str | None, *, field: str = "at") -> datetime:
    """An instant given as ISO 8601 text with its zone (`2026-03-29T09:00:00+02:00`, `…Z`);
    now when not given."""
    if value is None or value == "":
        return timezone.now()
    try:
        parsed = datetime.fromisoformat(value.strip().replace("z", "Z"))
    except (TypeError, ValueError):
        raise ValidationError(
            "give an ISO 8601 time with its zone, e.g. 2026-03-29T09:00:00+02:00", field=field
        ) from None
    return check_moment(parsed, field=field)


MAX_WINDOW = timedelta(days=366)


def parse_window(start: str, end: str) -> tuple[datetime, datetime]:
    """Two instants, the second after the first and at most MAX_WINDOW later."""
    begin, finish = parse_at(start, field="start"), parse_at(end, field="end")
    if finish <= begin:
        raise ValidationError("must be after the start", field="end")
    if finish - begin > MAX_WINDOW:
        raise ValidationError(f"at most {MAX_WINDOW.days} days after the start", field="end")
    return begin, finish

"""Who is on call at an instant, and the shifts of a schedule or a person between two.

Overrides come first; then the highest layer that has someone at that instant. A layer's turns
are counted on the schedule's wall clock for day and week rotations: each hand-off is a local
date and time (the first hand-off plus whole rotations of calendar days), made an instant in
the schedule's zone only at the end, so a hand-off at 09:00 stays at 09:00 local when the clocks
change. Hour rotations count elapsed time. Nothing here writes.

Shifts are found without stepping through time: every instant where the answer could change
(a hand-off, a restriction window's edge or a local midnight, a clock change, an override's
start or end) is listed, the answer is asked once at each, and equal neighbours are merged.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import ValidationError
from incidentdesk.oncall.models import Layer, Override, RotationUnit, Schedule

END_OF_DAY = "24:00"  # a restriction window's end at midnight


def _aware(local: datetime, zone: ZoneInfo) -> datetime:
    """The instant a local wall time names (a time skipped by a change reads with the offset
    from before it, as zoneinfo does with fold=0)."""
    return local.replace(tzinfo=zone)


def turn_at(
    *,
    start: date,
    handoff: time,
    length: int,
    unit: str,
    zone: ZoneInfo,
    when: datetime,
) -> int | None:
    """The number of whole rotations begun between the first hand-off and `when` (0 for the
    first turn), or None before the first hand-off."""
    # In UTC: Python compares and subtracts two times of one zone on the wall clock, ignoring
    # `fold`, which would misplace the hour repeated when the clocks go back.
    when = when.astimezone(UTC)
    first_local = datetime.combine(start, handoff)
    first = _aware(first_local, zone)
    if when < first:
        return None
    if unit == RotationUnit.HOURS:
        return int((when - first) // timedelta(hours=length))
    days = length * (7 if unit == RotationUnit.WEEKS else 1)
    # A guess from the wall clock, then corrected against the real instants of the boundaries.
    local_now = when.astimezone(zone).replace(tzinfo=None)
    turn = max(0, (local_now - first_local) // timedelta(days=days))
    while turn > 0 and when < _aware(first_local + timedelta(days=days * turn), zone):
        turn -= 1
    while when >= _aware(first_local + timedelta(days=days * (turn + 1)), zone):
        turn += 1
    return turn


def inside_restrictions(restrictions: list[dict], zone: ZoneInfo, when: datetime) -> bool:
    """Whether `when` falls in one of the local windows (no windows: always)."""
    if not restrictions:
        return True
    local = when.astimezone(zone)
    weekday, clock = local.isoweekday(), local.time().replace(tzinfo=None)
    return any(
        window["weekday"] == weekday
        and time.fromisoformat(window["start"]) <= clock
        and (window["end"] == END_OF_DAY or clock < time.fromisoformat(window["end"]))
        for window in restrictions
    )


def layer_person_at(layer: Layer, zone: ZoneInfo, when: datetime) -> int | None:
    """The user id `layer` has on call at `when`, or None."""
    if not layer.people or not inside_restrictions(layer.restrictions, zone, when):
        return None
    turn = turn_at(
        start=layer.rotation_start,
        handoff=layer.handoff_time,
        length=layer.rotation_length,
        unit=layer.rotation_unit,
        zone=zone,
        when=when,
    )
    if turn is None:
        return None
    return layer.people[turn % len(layer.people)]


def _check_aware(value: datetime, field: str) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError("give a time with its time zone", field=field)
    return value.astimezone(UTC)


class Plan:
    """A schedule's layers and overrides, read once and asked in memory: who is on call at
    any instant of the stretch the overrides were read for."""

    def __init__(self, schedule: Schedule, layers: list[Layer], overrides: list[Override]):
        self.schedule = schedule
        self.zone = ZoneInfo(schedule.time_zone)
        self.layers = sorted(layers, key=lambda layer: -layer.position)
        self.overrides = sorted(overrides, key=lambda o: (o.start, o.pk))
        wanted = {o.user_id for o in overrides} | {p for layer in layers for p in layer.people}
        self.active = set(
            User.objects.filter(pk__in=wanted, is_active=True).values_list("pk", flat=True)
        )

    @classmethod
    def load(cls, schedule: Schedule, start: datetime, end: datetime) -> "Plan":
        """The plan for instants from `start` (inclusive) to `end` (exclusive)."""
        overrides = schedule.overrides.filter(start__lt=end, end__gt=start)
        return cls(schedule, list(schedule.layers.all()), list(overrides))

    def at(self, when: datetime) -> tuple[int, ...]:
        """The user ids on call at `when`: the overrides' people (earliest start first), else
        the one person of the highest layer that has someone active."""
        people = [
            o.user_id
            for o in self.overrides
            if o.start <= when < o.end and o.user_id in self.active
        ]
        if people:
            return tuple(dict.fromkeys(people))
        for layer in self.layers:
            user_id = layer_person_at(layer, self.zone, when)
            if user_id is not None and user_id in self.active:
                return (user_id,)
        return ()

    def segments(self, start: datetime, end: datetime) -> list["Segment"]:
        """Who is on call from `start` to `end`, as consecutive stretches with one answer
        each (nobody included), neighbours with the same answer merged."""
        # In UTC: two times of one zone compare on the wall clock, ignoring `fold`.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        edges = sorted({e.astimezone(UTC) for e in self._edges(start, end)} - {start, end})
        edges = [e for e in edges if start < e < end]
        found: list[Segment] = []
        for begin, finish in zip([start, *edges], [*edges, end], strict=True):
            people = self.at(begin)
            if found and found[-1].people == people:
                found[-1] = Segment(found[-1].start, finish, people)
            else:
                found.append(Segment(begin, finish, people))
        return found

    def _edges(self, start: datetime, end: datetime) -> Iterable[datetime]:
        for override in self.overrides:
            yield from (override.start, override.end)
        for layer in self.layers:
            yield from handoffs(layer, self.zone, start, end)
        yield from clock_changes(self.zone, start, end)
        times = {time(0)} | {
            time.fromisoformat(edge)
            for layer in self.layers
            for window in layer.restrictions
            for edge in (window["start"], window["end"])
            if edge != END_OF_DAY
        }
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        while day <= end.astimezone(self.zone).date() + timedelta(days=1):
            for clock in times:
                for fold in (0, 1):
                    yield datetime.combine(day, clock, tzinfo=self.zone).replace(fold=fold)
            day += timedelta(days=1)


@dataclass(frozen=True)
class Segment:
    start: datetime
    end: datetime
    people: tuple[int, ...]


@dataclass(frozen=True)
class Shift:
    """One person on call for one schedule without a break, from `start` to `end`."""

    schedule_id: int
    user_id: int
    start: datetime
    end: datetime


def handoffs(layer: Layer, zone: ZoneInfo, start: datetime, end: datetime) -> Iterable[datetime]:
    """The instants `layer` hands over between `start` and `end` (its first turn included)."""
    first_local = datetime.combine(layer.rotation_start, layer.handoff_time)
    turn = turn_at(
        start=layer.rotation_start,
        handoff=layer.handoff_time,
        length=layer.rotation_length,
        unit=layer.rotation_unit,
        zone=zone,
        when=start,
    )
    if layer.rotation_unit == RotationUnit.HOURS:
        step = timedelta(hours=layer.rotation_length)
        first = _aware(first_local, zone).astimezone(UTC)
        when, turn = first + step * (turn or 0), turn or 0
        while when <= end:
            yield when
            turn += 1
            when = first + step * turn
        return
    days = timedelta(
        days=layer.rotation_length * (7 if layer.rotation_unit == RotationUnit.WEEKS else 1)
    )
    turn = turn or 0
    while (when := _aware(first_local + days * turn, zone)) <= end:
        yield when
        turn += 1


def clock_changes(zone: ZoneInfo, start: datetime, end: datetime) -> Iterable[datetime]:
    """The instants between `start` and `end` at which `zone`'s offset changes (to the second)."""
    step = timedelta(hours=6)
    low = start.astimezone(UTC)
    while low < end:
        high = min(low + step, end.astimezone(UTC))
        if low.astimezone(zone).utcoffset() != high.astimezone(zone).utcoffset():
            before, after = low, high
            while after - before > timedelta(seconds=1):
                middle = before + (after - before) / 2
                if middle.astimezone(zone).utcoffset() == before.astimezone(zone).utcoffset():
                    before = middle
                else:
                    after = middle
            yield after.replace(microsecond=0)  # changes fall on whole seconds
        low = high


def on_call_at(schedule: Schedule, when: datetime) -> list[User]:
    """Who is on call for `schedule` at the instant `when` (timezone-aware): the people of the
    overrides covering it (earliest start first) if any, else the one person of the highest
    layer that has someone, else nobody. Deactivated people are skipped."""
    when = _check_aware(when, "when")
    plan = Plan.load(schedule, when, when + timedelta(microseconds=1))
    ids = plan.at(when)
    users = User.objects.in_bulk(ids)
    return [users[i] for i in ids]


def schedule_shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Every shift of `schedule` from `start` to `end` (shifts running over either end are cut
    there), a person's shift continuing across hand-offs, layers and overrides as long as they
    stay on call; by start, then person."""
    start, end = _check_aware(start, "start"), _check_aware(end, "end")
    if end <= start:
        raise ValidationError("must be after the start", field="end")
    return _shifts(schedule.pk, Plan.load(schedule, start, end).segments(start, end))


def person_shifts(user: User, start: datetime, end: datetime) -> list[Shift]:
    """`user`'s shifts in every schedule from `start` to `end`, by start."""
    start, end = _check_aware(start, "start"), _check_aware(end, "end")
    if end <= start:
        raise ValidationError("must be after the start", field="end")
    with_override = set(
        Override.objects.filter(user=user, start__lt=end, end__gt=start).values_list(
            "schedule_id", flat=True
        )
    )
    found: list[Shift] = []
    for schedule in Schedule.objects.prefetch_related("layers"):
        layers = list(schedule.layers.all())
        if schedule.pk not in with_override and not any(
            user.pk in layer.people for layer in layers
        ):
            continue
        overrides = list(schedule.overrides.filter(start__lt=end, end__gt=start))
        segments = Plan(schedule, layers, overrides).segments(start, end)
        found += [s for s in _shifts(schedule.pk, segments) if s.user_id == user.pk]
    return sorted(found, key=lambda s: (s.start, s.schedule_id))


def _shifts(schedule_id: int, segments: list[Segment]) -> list[Shift]:
    shifts: list[Shift] = []
    running: dict[int, Shift] = {}
    for segment in segments:
        for user_id in list(running):
            if user_id not in segment.people:
                shifts.append(running.pop(user_id))
        for user_id in segment.people:
            shift = running.get(user_id)
            begin = shift.start if shift else segment.start
            running[user_id] = Shift(schedule_id, user_id, begin, segment.end)
    shifts += running.values()
    return sorted(shifts, key=lambda s: (s.start, s.user_id))

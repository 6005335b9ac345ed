"""Who is on call at an instant.

Overrides come first; then the highest layer that has someone at that instant. A layer's turns
are counted on the schedule's wall clock for day and week rotations: each hand-off is a local
date and time (the first hand-off plus whole rotations of calendar days), made an instant in
the schedule's zone only at the end, so a hand-off at 09:00 stays at 09:00 local when the clocks
change. Hour rotations count elapsed time. Nothing here writes.
"""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import ValidationError
from incidentdesk.oncall.models import Layer, RotationUnit, Schedule

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


def on_call_at(schedule: Schedule, when: datetime) -> list[User]:
    """Who is on call for `schedule` at the instant `when` (timezone-aware): the people of the
    overrides covering it (earliest start first) if any, else the one person of the highest
    layer that has someone, else nobody."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValidationError("give a time with its time zone", field="when")
    overrides = schedule.overrides.filter(start__lte=when, end__gt=when).select_related("user")
    people = list(dict.fromkeys(o.user for o in overrides.order_by("start", "pk")))
    if people:
        return people
    zone = ZoneInfo(schedule.time_zone)
    for layer in schedule.layers.order_by("-position"):
        user_id = layer_person_at(layer, zone, when)
        if user_id is not None:
            user = User.objects.filter(pk=user_id, is_active=True).first()
            if user is not None:
                return [user]
    return []

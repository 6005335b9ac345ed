"""Pure incident rules: status transitions, timestamp order, severity input, and how a
duration is written (DESIGN.md §3). No ORM here."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.moments import check_moment

INVESTIGATING, IDENTIFIED, MONITORING = "investigating", "identified", "monitoring"
BLOCKED, RESOLVED, CLOSED = "blocked", "resolved", "closed"
# Work stopped until a later date and the lead closed the incident meanwhile (OPG's process):
# it leaves the active lists but is not the final `closed`, so it needs no postmortem and can
# be re-opened when work resumes.
CLOSED_BLOCKED = "closed_blocked"
# Not a status: "leave blocked for the status the incident had before it was blocked".
UNBLOCK = "unblock"
WORKING = (INVESTIGATING, IDENTIFIED, MONITORING)

TRANSITIONS: dict[str, tuple[str, ...]] = {
    INVESTIGATING: (IDENTIFIED, MONITORING, BLOCKED, RESOLVED),
    IDENTIFIED: (INVESTIGATING, MONITORING, BLOCKED, RESOLVED),
    MONITORING: (INVESTIGATING, IDENTIFIED, BLOCKED, RESOLVED),
    BLOCKED: (*WORKING, RESOLVED, CLOSED_BLOCKED),
    CLOSED_BLOCKED: (*WORKING, BLOCKED),
    RESOLVED: (INVESTIGATING, CLOSED),
    CLOSED: (),
}


def effective_target(current: str, target: str) -> str:
    """The status a request for `target` means from `current`: closing a blocked incident
    closes it while blocked (`closed_blocked`), never for good."""
    if target == CLOSED and current == BLOCKED:
        return CLOSED_BLOCKED
    return target


def unblock_target(current: str, before_blocked: str | None) -> str:
    """Where `unblock` goes: back to the working status the incident had before it was
    blocked (investigating when that is unknown)."""
    if current not in (BLOCKED, CLOSED_BLOCKED):
        raise InvalidTransition(f"the incident is {current}, not blocked", field="status")
    return before_blocked if before_blocked in WORKING else INVESTIGATING


def status_event(current: str, target: str) -> str:
    """How the timeline names a status change: `unblocked` when leaving blocked (or a close
    while blocked) for work, `re-opened` when a resolved incident is worked on again,
    `closed while blocked`, or plainly `status change`."""
    if current in (BLOCKED, CLOSED_BLOCKED) and target in (*WORKING, RESOLVED):
        return "unblocked"
    if current == BLOCKED and target == CLOSED_BLOCKED:
        return "closed while blocked"
    if current == RESOLVED and target == INVESTIGATING:
        return "re-opened"
    return "status change"


def check_transition(current: str, target: str, *, reason: str = "") -> None:
    """Refuse a status change that the lifecycle does not allow, naming the allowed ones.

    Re-opening a resolved incident and blocking one both need a written reason.
    """
    if target not in TRANSITIONS:
        raise ValidationError(
            f"unknown status {target!r}; use one of {', '.join(TRANSITIONS)}", field="status"
        )
    if target == current:
        raise InvalidTransition(f"the incident is already {current}", field="status")
    allowed = TRANSITIONS[current]
    if target not in allowed:
        options = ", ".join(allowed) if allowed else "none: a closed incident is final"
        raise InvalidTransition(
            f"cannot go from {current} to {target}; allowed from {current}: {options}",
            field="status",
        )
    if current == RESOLVED and target == INVESTIGATING and not reason.strip():
        raise ValidationError("re-opening a resolved incident needs a reason", field="reason")
    if target == BLOCKED and current != CLOSED_BLOCKED and not reason.strip():
        raise ValidationError("say why work is blocked", field="reason")


def check_resume_date(target: str, resume_on: date | None, today: date) -> None:
    """Closing a blocked incident keeps the date work resumes, so it needs one, not past."""
    if target != CLOSED_BLOCKED:
        return
    if resume_on is None:
        raise ValidationError(
            "give the date work resumes: the lead is reminded on that day", field="blocked_until"
        )
    if resume_on < today:
        raise ValidationError("must be today or later", field="blocked_until")


def timestamps_for_status(
    target: str, now: datetime, current: Mapping[str, datetime | None]
) -> dict:
    """The timestamps that a status change sets when they are not set already."""
    stamps: dict[str, datetime | None] = {}
    if target in (MONITORING, RESOLVED) and current.get("mitigated_at") is None:
        stamps["mitigated_at"] = now
    if target == RESOLVED:
        stamps["resolved_at"] = now
    if target == CLOSED:
        stamps["closed_at"] = now
    if target == INVESTIGATING and current.get("resolved_at") is not None:
        stamps["resolved_at"] = None  # re-opened: it is no longer resolved
    return stamps


# Pairs (earlier, later) that must hold whenever both timestamps are known.
TIMESTAMP_ORDER: tuple[tuple[str, str], ...] = (
    ("started_at", "detected_at"),
    ("started_at", "declared_at"),
    ("started_at", "acknowledged_at"),
    ("started_at", "mitigated_at"),
    ("detected_at", "acknowledged_at"),
    ("detected_at", "mitigated_at"),
    ("detected_at", "resolved_at"),
    ("mitigated_at", "resolved_at"),
    ("started_at", "resolved_at"),
    ("resolved_at", "closed_at"),
    ("declared_at", "closed_at"),
)
TIMESTAMP_FIELDS = (
    "started_at",
    "detected_at",
    "declared_at",
    "acknowledged_at",
    "mitigated_at",
    "resolved_at",
    "closed_at",
)
TIME_LABELS = {field: field.removesuffix("_at").capitalize() for field in TIMESTAMP_FIELDS}
# Measured times (DESIGN.md §3): key, label, from, to. Reports (postmortems, the API, the CLI)
# carry the REPORTED ones; the incident page shows them all.
MEASURES = (
    ("time_to_detect", "Time to detect", "started_at", "detected_at"),
    ("time_to_acknowledge", "Time to acknowledge", "started_at", "acknowledged_at"),
    ("time_to_mitigate", "Time to mitigate", "started_at", "mitigated_at"),
    ("time_to_fix", "Time to fix", "detected_at", "resolved_at"),
    ("time_to_recover", "Time to recover", "started_at", "resolved_at"),
)
REPORTED_MEASURES = tuple(
    m for m in MEASURES if m[0] in ("time_to_detect", "time_to_fix", "time_to_recover")
)
# A little clock skew between a reporter's machine and the server is tolerated.
FUTURE_TOLERANCE = timedelta(minutes=5)


def check_timestamp_order(stamps: Mapping[str, datetime | None], now: datetime) -> None:
    """Refuse timestamps that are naive, outside the window (core.moments), in the future, or
    out of order, naming the field."""
    for name in TIMESTAMP_FIELDS:
        value = stamps.get(name)
        if value is None:
            continue
        check_moment(value, field=name)
        if value > now + FUTURE_TOLERANCE:
            raise ValidationError("cannot be in the future", field=name)
    for earlier, later in TIMESTAMP_ORDER:
        a, b = stamps.get(earlier), stamps.get(later)
        if a is not None and b is not None and b < a:
            raise ValidationError(
                f"{later} ({b.isoformat()}) is before {earlier} ({a.isoformat()})", field=later
            )


@dataclass(frozen=True)
class SeverityName:
    key: str
    name: str
    position: int
    aliases: tuple[str, ...] = ()


def _is_number(text: str) -> bool:
    """ASCII digits only: `str.isdigit` also takes `²`, which `int` refuses."""
    return text.isascii() and text.isdigit()


def match_severity(text: str, levels: Iterable[SeverityName]) -> str:
    """Return the key of the severity level `text` names.

    Accepts, case-insensitively, a level's key, name or alias, its position (`1`) and the usual
    spellings of a position (`sev1`, `sev-1`, `s1`, `p1`).
    """
    levels = list(levels)
    wanted = (text or "").strip().lower()
    if not wanted:
        raise ValidationError("choose a severity", field="severity")
    for level in levels:
        names = {level.key.lower(), level.name.lower(), *(a.lower() for a in level.aliases)}
        if wanted in names:
            return level.key
    digits = wanted
    for prefix in ("sev-", "sev ", "sev", "s", "p"):
        if digits.startswith(prefix) and _is_number(digits[len(prefix) :]):
            digits = digits[len(prefix) :]
            break
    if _is_number(digits):
        for level in levels:
            if level.position == int(digits):
                return level.key
    known = ", ".join(f"{lvl.key} (sev{lvl.position})" for lvl in levels)
    raise ValidationError(f"unknown level {text!r}; use one of {known}", field="severity")


def check_criteria(criteria: Iterable[str], reason: str, known: Iterable[str]) -> list[str]:
    """At least one declaration criterion must be ticked, or a written reason given."""
    known = list(known)
    chosen = []
    for item in criteria:
        if item not in known:
            raise ValidationError(
                f"unknown criterion {item!r}; use any of {', '.join(known)}", field="criteria"
            )
        if item not in chosen:
            chosen.append(item)
    if not chosen and not (reason or "").strip():
        raise ValidationError(
            "tick at least one declaration criterion or write why this is an incident",
            field="criteria",
        )
    return chosen


# How a duration is written (DESIGN.md §3): one unit chosen by size, at most one decimal.
UNKNOWN = "unknown"


def duration_between(start: datetime | None, end: datetime | None) -> timedelta | None:
    if start is None or end is None:
        return None
    return end - start


def format_duration(value: timedelta | None) -> str:
    """`45 minutes`, `1.5 hours`, `1 hour`, `1.1 days`; `unknown` when a timestamp is missing.

    The unit is chosen from the exact duration, so rounding never changes it: 59 min 59 s is
    `60 minutes` and 23 h 59 min 59 s is `24 hours`. The number is rounded half up to one
    decimal, without a trailing `.0`; the unit is singular only when the number is 1."""
    if value is None:
        return UNKNOWN
    # Exact, microseconds included (a float of the seconds is not).
    seconds = Decimal(value.days * 86400 + value.seconds) + Decimal(value.microseconds) / 10**6
    if seconds < 3600:
        number, unit = seconds / 60, "minute"
    elif seconds < 86400:
        number, unit = seconds / 3600, "hour"
    else:
        number, unit = seconds / 86400, "day"
    rounded = number.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}".removesuffix(".0")
    return f"{text} {unit}" if rounded == 1 else f"{text} {unit}s"

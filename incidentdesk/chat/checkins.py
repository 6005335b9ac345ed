"""Check-ins: `checkin <interval>` has the bot remind the incident's conversations and its lead
of the next check-in, every interval, until the incident is resolved.

- `checkin_set` is the service (any door: web, API, CLI, chat); it stores the incident's one
  `Checkin` and records the change on the timeline.
- `checkins_remind` is run every minute by a worker (tasks.py): each due check-in of an open
  incident is told, through the outbox, in the incident's conversations and to the lead
  directly, and its next time moves to now + interval (a worker that was down for an hour
  reminds once, not six times). A resolved or closed incident's check-in is dropped; a blocked
  incident's is kept but not told (no one is working on it until it resumes).

Check-ins are kept even on an install without chat (the timeline says they were asked for),
but they are only told in chat.
"""

import re
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.channel import direct_address
from incidentdesk.chat.models import ChatIdentity, Checkin, IncidentConversation
from incidentdesk.chat.outbound import incident_url, say
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.reporting import reporting_zone
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.commands import CommandCall, CommandResult, CommandSpec, register
from incidentdesk.incidents.models import EntryKind, Incident, IncidentRole, IncidentStatus
from incidentdesk.incidents.rules import format_duration
from incidentdesk.incidents.selectors import current_role_holders
from incidentdesk.incidents.services.timeline import record_entry

SHORTEST = timedelta(minutes=5)
LONGEST = timedelta(hours=24)
OFF_WORDS = {"off", "stop", "none"}
# `30m`, `30 min`, `45 minutes`, `1h`, `2 hours`, `1h30m`, `1h 30`, or minutes alone (`30`).
INTERVAL = re.compile(
    r"^(?:(?P<hours>\d{1,3})\s*h(?:ours?|rs?)?)?\s*"
    r"(?:(?P<minutes>\d{1,5})\s*(?:m|mins?|minutes?)?)?$",
    re.IGNORECASE,
)
USAGE = "write it as minutes or hours, e.g. 30m, 1h, 1h30m, or off"


def parse_interval(text: str) -> timedelta | None:
    """The interval `text` names, or None for `off`. Refused (naming the argument) when it is
    not an interval or lies outside 5 minutes – 24 hours."""
    text = text.strip()
    if text.lower() in OFF_WORDS:
        return None
    match = INTERVAL.match(text)
    if not text or match is None or not (match["hours"] or match["minutes"]):
        raise ValidationError(f"{text!r} is not an interval; {USAGE}", field="interval")
    interval = timedelta(hours=int(match["hours"] or 0), minutes=int(match["minutes"] or 0))
    if not SHORTEST <= interval <= LONGEST:
        raise ValidationError(
            f"{format_duration(interval)} is outside the allowed range: between "
            f"{format_duration(SHORTEST)} and {format_duration(LONGEST)}",
            field="interval",
        )
    return interval


def checkin_set(
    *, actor, source: ActionSource, incident: Incident, interval: timedelta | None
) -> Checkin | None:
    """Have the bot ask for a check-in every `interval` until the incident is resolved (the
    first one `interval` from now), or stop asking (`interval` None). Responders and up; not
    on a resolved or closed incident. Records an event on the timeline. Returns the check-in
    as set, or as it was when stopped; stopping check-ins that were never asked for changes
    nothing, records nothing and returns None."""
    require(actor, Perm.INCIDENT_UPDATE)
    if interval is not None and not SHORTEST <= interval <= LONGEST:
        raise ValidationError(
            f"must be between {format_duration(SHORTEST)} and {format_duration(LONGEST)}",
            field="interval",
        )
    with transaction.atomic():
        locked = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        if not locked.is_open:
            raise InvalidTransition(
                f"{locked.reference} is {locked.status}: check-ins are for open incidents",
                field="interval",
            )
        if interval is None:
            checkin = Checkin.objects.filter(incident=locked).first()
            if checkin is None:
                return None
            checkin.delete()
            body = "Check-ins stopped"
            data: dict[str, object] = {"event": "checkin", "interval_minutes": None}
        else:
            checkin, _ = Checkin.objects.update_or_create(
                incident=locked,
                defaults={
                    "interval": interval,
                    "next_at": timezone.now() + interval,
                    "set_by": actor if getattr(actor, "pk", None) else None,
                },
            )
            minutes = int(interval.total_seconds() // 60)
            body = f"Check-ins every {format_duration(interval)} until resolved"
            data = {"event": "checkin", "interval_minutes": minutes}
        record_entry(
            incident=locked, kind=EntryKind.EVENT, body=body, actor=actor, source=source, data=data
        )
    return checkin


def checkin_command(call: CommandCall) -> CommandResult:
    interval = parse_interval(call.argument)
    checkin = checkin_set(
        actor=call.actor, source=call.source, incident=call.incident, interval=interval
    )
    if interval is None or checkin is None:
        reply = "Check-ins stopped." if checkin else "No check-ins were asked for; none to stop."
        return CommandResult(reply, call.incident)
    return CommandResult(
        f"Check-ins every {format_duration(interval)} until resolved; "
        f"the next at {_clock(checkin.next_at)}.",
        call.incident,
    )


# Reminders ---------------------------------------------------------------------------------


def checkins_remind(now: datetime | None = None) -> int:
    """Tell every check-in that is due (see the module's docstring); how many were told."""
    now = now or timezone.now()
    due = list(Checkin.objects.filter(next_at__lte=now).values_list("pk", flat=True))
    return sum(_remind_one(pk, now) for pk in due)


def _remind_one(pk: int, now: datetime) -> bool:
    with transaction.atomic():
        checkin = (
            Checkin.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("incident")
            .filter(pk=pk, next_at__lte=now)
            .first()
        )
        if checkin is None:  # another worker has it, or it was moved or dropped meanwhile
            return False
        incident = checkin.incident
        if not incident.is_open:
            checkin.delete()
            return False
        checkin.next_at = now + checkin.interval
        checkin.save(update_fields=["next_at"])
        if incident.status == IncidentStatus.BLOCKED:
            return False
        _tell(incident, checkin.next_at)
    return True


def _tell(incident: Incident, next_at: datetime) -> None:
    """The reminder in each of the incident's open conversations on a configured platform,
    and to each lead directly on every configured platform where they are linked."""
    text = (
        f"Check-in for {incident.reference}: what changed since the last one? "
        f"Next at {_clock(next_at)}"
    )
    kinds = platforms.platform_kinds()
    for link in IncidentConversation.objects.filter(
        incident=incident, archived_at__isnull=True, platform__in=kinds
    ):
        say(platform=link.platform, conversation=link.conversation, text=text)
    leads = current_role_holders(incident).get(IncidentRole.LEAD) or []
    if not leads:
        return
    for identity in ChatIdentity.objects.filter(platform__in=kinds, user__in=leads):
        say(
            platform=identity.platform,
            conversation=direct_address(identity.external_id),
            text=f"{text}\n{incident.title}: {incident_url(incident)}",
        )


def _clock(moment: datetime) -> str:
    """`14:30 UTC`: the time in the reporting time zone, the zone named."""
    local = moment.astimezone(reporting_zone())
    return local.strftime("%H:%M ") + (local.tzname() or str(reporting_zone()))


def register_command() -> None:
    register(
        CommandSpec(
            "checkin",
            "interval",
            True,
            "have the bot ask the channel and the lead for a check-in every interval "
            "(e.g. 30m, 1h) until resolved; `checkin off` stops",
            checkin_command,
            Perm.INCIDENT_UPDATE,
            order=135,  # after `note`, before `statuspage`
            example="checkin 30m",
        )
    )

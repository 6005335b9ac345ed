"""Moving an incident along its lifecycle (rules.TRANSITIONS): status changes, resolving (and
resolving its publication with it), closing, leaving `blocked`, closing while blocked, and the
reminder on the day blocked work resumes."""

from copy import copy
from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, has_perm, require
from incidentdesk.core import checks
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.moments import check_day, check_moment
from incidentdesk.core.reporting import reporting_zone
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import hooks, rules, selectors
from incidentdesk.incidents.models import (
    DeskSeat,
    EntryKind,
    Incident,
    IncidentRole,
    IncidentStatus,
    RoleAssignment,
    TimelineEntry,
)
from incidentdesk.incidents.notices import RESUME_DUE_TOPIC, incident_facts
from incidentdesk.incidents.services.desk import desk_tell_change
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.outbox import emit

# What the status page says when an incident is resolved without a closing message (the status
# page's after_resolve hook publishes it; the resolve form shows it).
PUBLIC_RESOLVE_MESSAGE = "This incident has been resolved."
RESUME_REMINDER = "resume_reminder"
ON_HOLD = (IncidentStatus.BLOCKED, IncidentStatus.CLOSED_BLOCKED)


def _check_may_close_blocked(actor, incident: Incident) -> None:
    """Closing while blocked is the lead's decision (or a manager's)."""
    if has_perm(actor, Perm.INCIDENT_CLOSE):
        return
    leads = RoleAssignment.objects.filter(
        incident=incident, role=IncidentRole.LEAD, user=actor, ended_at__isnull=True
    )
    if not leads.exists():
        raise PermissionDenied("only the incident's lead or a manager may close it while blocked")


def _resume_date(value, field: str = "blocked_until") -> date | None:
    """A date as given, or the day a moment falls on where reports are read."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return check_moment(value, field=field).astimezone(reporting_zone()).date()
    return check_day(value, field=field)


def _row_values(incident: Incident) -> dict:
    """The incident's column values by attribute name (`severity_id`; lists and dicts
    copied), to tell which of them a change set."""
    return {
        field.attname: copy(value)
        if isinstance(value := getattr(incident, field.attname), list | dict)
        else value
        for field in Incident._meta.concrete_fields
        if not field.primary_key
    }


def status_before_blocked(incident: Incident) -> str | None:
    """The status the incident had when it was last blocked (from its timeline)."""
    entry = (
        TimelineEntry.objects.filter(
            incident=incident, kind=EntryKind.STATUS_CHANGE, data__to=IncidentStatus.BLOCKED
        )
        .order_by("-occurred_at", "-id")
        .first()
    )
    return entry.data.get("from") if entry else None


def _body(event: str, current: str, target: str, reason: str, message: str, resume_on) -> str:
    if event == "closed while blocked":
        body = f"Closed while blocked; work resumes {resume_on.isoformat()}"
    elif event == "status change":
        body = f"Status {current} → {target}"
    else:
        body = f"{event.capitalize()}: status {current} → {target}"
    if reason:
        body += f": {reason}"
    return body + (f"\n\n{message}" if message else "")


def incident_set_status(
    *,
    actor,
    source: ActionSource,
    incident: Incident,
    status: str,
    reason: str = "",
    message: str = "",
    blocked_until=None,
    resolve_publicly: bool = True,
) -> Incident:
    """Move an incident along its lifecycle (see rules.TRANSITIONS).

    Sets the matching timestamps (mitigated on monitoring or resolved; resolved; closed),
    clears the resolution when re-opened, and on resolution takes assignees off the
    incident's desk. Resolving an incident whose publication is still open resolves that too,
    in the same transaction, unless `resolve_publicly` is False: the closing `message` (or
    PUBLIC_RESOLVE_MESSAGE) is published, subscribers are told and its components go back to
    operational. `status="unblock"` leaves `blocked` (or `closed_blocked`) for the status the
    incident had before it was blocked; leaving them for any working status is recorded as
    "unblocked". Closing a blocked incident closes it while blocked (`closed_blocked`, the
    lead's or a manager's call): it needs the date work resumes (`blocked_until`), no
    postmortem, and can be re-opened. The final close needs a manager and a published
    postmortem, or a waiver where the severity does not require one. The desk is told.
    """
    require(actor, Perm.INCIDENT_UPDATE)
    status = (status or "").strip().lower() if isinstance(status, str) else ""
    reason = checks.check_text(reason, field="reason", max_length=2_000)
    message = checks.check_text(message, field="message", max_length=10_000)
    blocked_until = _resume_date(blocked_until)
    if not isinstance(resolve_publicly, bool):
        raise ValidationError("must be true or false", field="resolve_publicly")
    with transaction.atomic():
        incident = (
            Incident.objects.select_for_update(of=("self",))  # not the severity's row
            .select_related("severity")
            .get(pk=incident.pk)
        )
        read = _row_values(incident)
        current = incident.status
        if status == rules.UNBLOCK:
            status = rules.unblock_target(current, status_before_blocked(incident))
        status = rules.effective_target(current, status)
        rules.check_transition(current, status, reason=reason)
        resume_on = blocked_until or (incident.blocked_until if current in ON_HOLD else None)
        rules.check_resume_date(status, resume_on, timezone.localdate())
        if status == IncidentStatus.CLOSED:
            require(actor, Perm.INCIDENT_CLOSE)
            for check in hooks.before_close:  # the postmortem published, or a waiver
                check(incident, reason)
        if status == IncidentStatus.CLOSED_BLOCKED:
            _check_may_close_blocked(actor, incident)
        now = timezone.now()
        for field, value in rules.timestamps_for_status(status, now, vars(incident)).items():
            setattr(incident, field, value)
        event = rules.status_event(current, status)
        incident.status = status
        incident.blocked_until = resume_on if status in ON_HOLD else None
        if event == "unblocked" or (status in ON_HOLD + (IncidentStatus.INVESTIGATING,) and reason):
            incident.status_reason = reason  # unblocked without a reason: the old one is stale
        # Only the columns that changed (here or in a before_close hook, which may set a
        # waiver): a whole-row UPDATE of some forty columns costs more to build than the rest.
        changed = [name for name, value in read.items() if getattr(incident, name) != value]
        incident.save(update_fields=[*changed, "updated_at"])
        data = {"from": current, "to": status, "reason": reason, "message": message}
        if event != "status change":
            data["event"] = event
        if status in ON_HOLD and resume_on:
            data["blocked_until"] = resume_on.isoformat()
        record_entry(
            incident=incident,
            kind=EntryKind.STATUS_CHANGE,
            body=_body(event, current, status, reason, message, resume_on),
            actor=actor,
            source=source,
            data=data,
            pinned=status in (IncidentStatus.RESOLVED,),
        )
        if status == IncidentStatus.RESOLVED:
            for hook in hooks.after_resolve:  # the open publication is resolved too
                hook(
                    actor=actor,
                    source=source,
                    incident=incident,
                    message=message,
                    publicly=resolve_publicly,
                )
        desk_tell_change(
            incident=incident, actor=actor, field="status", old=current, new=status, reason=reason
        )
        if status == IncidentStatus.RESOLVED:
            DeskSeat.objects.filter(incident=incident, left_at__isnull=True).update(left_at=now)
            incident.open_desk_seats = []  # as the desk notice read them, they are now left
    return incident


def incident_resolve(
    *,
    actor,
    source: ActionSource,
    incident: Incident,
    message: str = "",
    resolve_publicly: bool = True,
) -> Incident:
    """Resolve an incident with an optional closing message, and its open publication with it
    unless `resolve_publicly` is False (see incident_set_status)."""
    return incident_set_status(
        actor=actor,
        source=source,
        incident=incident,
        status=IncidentStatus.RESOLVED,
        message=message,
        resolve_publicly=resolve_publicly,
    )


def incident_close(
    *, actor, source: ActionSource, incident: Incident, reason: str = "", blocked_until=None
) -> Incident:
    """Close a resolved incident for good, or a blocked one until work resumes on
    `blocked_until` (see incident_set_status for the conditions)."""
    return incident_set_status(
        actor=actor,
        source=source,
        incident=incident,
        status=IncidentStatus.CLOSED,
        reason=reason,
        blocked_until=blocked_until,
    )


def _resume_reminder(incident: Incident, today: date) -> bool:
    """Remind the lead (or, with none, the reporter) once that work was to resume."""
    holders = selectors.current_role_holders(incident)
    people = holders.get(IncidentRole.LEAD) or holders.get(IncidentRole.REPORTER) or []
    people = [p for p in people if p.is_active and p.email]
    resume_on = incident.blocked_until
    assert resume_on is not None  # only incidents with a date to resume are reminded
    names = ", ".join(p.display_name for p in people) or "nobody (no lead or reporter to tell)"
    record_entry(
        incident=incident,
        kind=EntryKind.EVENT,
        body=f"Work was to resume {resume_on.isoformat()}: reminder sent to {names}",
        actor=None,
        source=ActionSource.SYSTEM,
        data={"event": RESUME_REMINDER, "date": resume_on.isoformat()},
    )
    if not people:
        return False
    emit(
        topic=RESUME_DUE_TOPIC,
        payload={
            "incident": incident_facts(incident),
            "resume_on": resume_on.isoformat(),
            "today": today.isoformat(),
        },
        staff_emails=[p.email for p in people],
    )
    return True


def resume_reminders_send(*, now: datetime | None = None) -> int:
    """Remind the lead of each blocked (or closed while blocked) incident whose date for
    resuming work has come, once per date. Runs from a periodic task; returns how many
    reminders were emitted."""
    today = timezone.localdate(now or timezone.now())
    due = Incident.objects.filter(status__in=ON_HOLD, blocked_until__lte=today)
    sent = 0
    for pk in list(due.values_list("pk", flat=True)):
        with transaction.atomic():
            incident = (
                Incident.objects.select_for_update(of=("self",))
                .select_related("severity")
                .get(pk=pk)
            )
            # Checked again under the lock: the incident may have moved, or another worker
            # may have just reminded.
            if incident.status not in ON_HOLD or not incident.blocked_until:
                continue
            if incident.blocked_until > today:
                continue
            reminded = TimelineEntry.objects.filter(
                incident=incident,
                kind=EntryKind.EVENT,
                data__event=RESUME_REMINDER,
                data__date=incident.blocked_until.isoformat(),
            )
            if not reminded.exists():
                sent += _resume_reminder(incident, today)
    return sent

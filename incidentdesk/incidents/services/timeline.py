"""Timeline use cases. Every service write records its entry through `record_entry`."""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.moments import check_moment
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import (
    AUTHORED_KINDS,
    EntryKind,
    Incident,
    TimelineEntry,
    TimelineRevision,
    Visibility,
)
from incidentdesk.incidents.rules import FUTURE_TOLERANCE

BODY_MAX = 20_000


def record_entry(
    *,
    incident: Incident,
    kind: str,
    body: str,
    actor,
    source: ActionSource,
    data: dict[str, Any] | None = None,
    occurred_at: datetime | None = None,
    pinned: bool = False,
    by_system: bool = True,
) -> TimelineEntry:
    """Write one timeline entry. Callers are services already inside their transaction.
    Entries recorded as a side effect of a change are facts (`by_system`) and stay as written.
    The `after_entry` hooks hear of it (inside the transaction)."""
    entry = TimelineEntry.objects.create(
        incident=incident,
        kind=kind,
        body=body,
        author=actor if getattr(actor, "pk", None) else None,
        source=source,
        data=data or {},
        occurred_at=occurred_at or timezone.now(),
        pinned=pinned,
        recorded_by_system=by_system,
    )
    for hook in hooks.after_entry:
        hook(entry)
    return entry


def timeline_entry_add(
    *,
    actor,
    source: ActionSource,
    incident: Incident,
    kind: str,
    body: str,
    occurred_at: datetime | None = None,
    pinned: bool = False,
    visibility: str = Visibility.INTERNAL,
    data: dict | None = None,
) -> TimelineEntry:
    """Add an entry written by a person (event, discussion, decision, action, result, note;
    chat messages and alerts from those sources). `occurred_at` may be back-dated to
    reconstruct a timeline, but not set in the future. `data` is what the door knows of where
    the entry came from (a chat message's platform ids, an alert's labels)."""
    require(actor, Perm.TIMELINE_WRITE)
    allowed = list(AUTHORED_KINDS)
    if source == ActionSource.CHAT:
        allowed.append(EntryKind.CHAT_MESSAGE)
    if source == ActionSource.ALERT:
        allowed.append(EntryKind.ALERT)
    if kind not in allowed:
        raise ValidationError(
            f"cannot add a {kind!r} entry by hand; use one of {', '.join(allowed)}", field="kind"
        )
    body = check_text(body, field="body", max_length=BODY_MAX, required=True)
    if visibility not in Visibility.values:
        raise ValidationError("use internal or public", field="visibility")
    now = timezone.now()
    if occurred_at is not None:
        check_moment(occurred_at, field="occurred_at")
        if occurred_at > now + FUTURE_TOLERANCE:
            raise ValidationError("cannot be in the future", field="occurred_at")
    with transaction.atomic():
        # Every write of an incident moves its updated_at: when it has not moved since
        # `incident` was read, that copy is the row as it is now, and stays so (with the new
        # updated_at), so whoever shows it after the entry need not read it again. First, so
        # the incident's row is held before the rows the entry touches (its live version):
        # every write takes them in that order, and two writes never wait on each other.
        current = Incident.objects.filter(pk=incident.pk, updated_at=incident.updated_at)
        if current.update(updated_at=now):
            incident.updated_at = now
        else:  # written by someone else since
            Incident.objects.filter(pk=incident.pk).update(updated_at=now)
            incident.refresh_from_db(from_queryset=Incident.objects.select_related("severity"))
        entry = record_entry(
            incident=incident,
            kind=kind,
            body=body,
            actor=actor,
            source=source,
            occurred_at=occurred_at or now,
            pinned=pinned,
            by_system=False,
            data=data,
        )
        if visibility != Visibility.INTERNAL:
            entry.visibility = visibility
            entry.save(update_fields=["visibility"])
    return entry


def timeline_entry_edit(
    *, actor, source: ActionSource, entry: TimelineEntry, body: str
) -> TimelineEntry:
    """Change an entry's text, keeping the earlier text as a revision. Entries the system
    recorded (status, role and field changes) are facts and cannot be edited."""
    require(actor, Perm.TIMELINE_WRITE)
    if not entry.is_editable:
        raise InvalidTransition(
            f"this {entry.kind} entry was recorded by the system and cannot be edited", field="kind"
        )
    body = check_text(body, field="body", max_length=BODY_MAX, required=True)
    if body == entry.body:
        return entry
    with transaction.atomic():
        TimelineRevision.objects.create(entry=entry, body=entry.body, replaced_by=actor)
        entry.body = body
        entry.edited_at = timezone.now()
        entry.save(update_fields=["body", "edited_at"])
    return entry


def timeline_entry_pin(
    *, actor, source: ActionSource, entry: TimelineEntry, pinned: bool
) -> TimelineEntry:
    """Pin or unpin an entry; pinned entries draft the postmortem's timeline."""
    require(actor, Perm.TIMELINE_WRITE)
    if entry.pinned != pinned:
        entry.pinned = pinned
        entry.save(update_fields=["pinned"])
    return entry

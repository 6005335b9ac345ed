"""Action items: things to do during the response and follow-ups after it."""

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core import checks
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.moments import check_day
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    ActionCategory,
    ActionItem,
    ActionPhase,
    ActionPriority,
    ActionStatus,
    EntryKind,
    Incident,
)
from incidentdesk.incidents.services.access import require_may_see
from incidentdesk.incidents.services.timeline import record_entry

_CHOICES = {
    "phase": ActionPhase,
    "category": ActionCategory,
    "priority": ActionPriority,
    "status": ActionStatus,
}


def _owner(handle: str):
    try:
        return user_by_handle(handle)
    except (NotFound, ValidationError) as exc:
        raise type(exc)(exc.message, field="owner") from None


def _clean(changes: Mapping[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for field, value in changes.items():
        if field == "title":
            clean[field] = checks.check_text(value, field=field, max_length=200, required=True)
        elif field in ("description", "wont_do_reason"):
            clean[field] = checks.check_text(value, field=field, max_length=10_000)
        elif field in _CHOICES:
            value = (value or "").strip().lower()
            if value not in _CHOICES[field].values and not (field == "category" and not value):
                options = ", ".join(_CHOICES[field].values)
                raise ValidationError(f"unknown value {value!r}; use one of {options}", field=field)
            clean[field] = value
        elif field == "owner":
            clean[field] = None if not value else (value if hasattr(value, "pk") else _owner(value))
        elif field == "due_date":
            clean[field] = None if value is None else check_day(value, field=field)
        elif field == "external_url":
            clean[field] = checks.check_link_url(value, field)
        else:
            raise ValidationError("is not a field of an action item", field=field)
    return clean


def action_item_create(
    *, actor, source: ActionSource, incident: Incident, title: str, **fields: Any
) -> ActionItem:
    """Add an action item to an incident and note it on the timeline. A follow-up without a
    due date gets one from the incident's severity policy."""
    require(actor, Perm.ACTION_WRITE)
    clean = _clean({"title": title, **fields})
    require_may_see([clean.get("owner")], incident, field="owner")
    if clean.get("status") == ActionStatus.WONT_DO and not clean.get("wont_do_reason"):
        raise ValidationError("say why it won't be done", field="wont_do_reason")
    if clean.get("phase") == ActionPhase.FOLLOW_UP and not clean.get("due_date"):
        days = incident.severity.action_due_days
        clean["due_date"] = timezone.localdate() + timedelta(days=days)
    with transaction.atomic():
        item = ActionItem.objects.create(incident=incident, created_by=actor, **clean)
        owner = f" (owner: {item.owner.display_name})" if item.owner else ""
        record_entry(
            incident=incident,
            kind=EntryKind.ACTION,
            body=f"Action item added: {item.title}{owner}",
            actor=actor,
            source=source,
            data={"action_item": item.pk},
        )
    return item


def action_item_update(
    *, actor, source: ActionSource, item: ActionItem, changes: Mapping[str, Any]
) -> ActionItem:
    """Change an action item. `wont_do` needs a reason; `done` records when it was done.
    A status change is noted on the incident's timeline."""
    require(actor, Perm.ACTION_WRITE)
    clean = _clean(changes)
    require_may_see([clean.get("owner")], item.incident, field="owner")
    status = clean.get("status", item.status)
    reason = clean.get("wont_do_reason", item.wont_do_reason)
    if status == ActionStatus.WONT_DO and not reason:
        raise ValidationError("say why it won't be done", field="wont_do_reason")
    phase = clean.get("phase", item.phase)
    if phase == ActionPhase.FOLLOW_UP and "owner" in clean and clean["owner"] is None:
        raise ValidationError("a follow-up keeps its one owner; name another", field="owner")
    with transaction.atomic():
        old_status = item.status
        for field, value in clean.items():
            setattr(item, field, value)
        if status == ActionStatus.DONE and old_status != ActionStatus.DONE:
            item.completed_at = timezone.now()
        elif status != ActionStatus.DONE:
            item.completed_at = None
        item.save()
        if status != old_status:
            why = f": {reason}" if status == ActionStatus.WONT_DO else ""
            record_entry(
                incident=item.incident,
                kind=EntryKind.RESULT if status == ActionStatus.DONE else EntryKind.FIELD_CHANGE,
                body=f"Action item “{item.title}” {old_status} → {status}{why}",
                actor=actor,
                source=source,
                data={"action_item": item.pk, "from": old_status, "to": status},
            )
    return item

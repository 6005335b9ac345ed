"""Improvement actions from a postmortem, and the reminders their owners get.

A follow-up is an incident action item in the `follow_up` phase with exactly one owner; the
write goes through `action_item_create`, which also defaults the due date from the
severity's `action_due_days`. Reminders are emailed through the outbox: REMIND_BEFORE_DAYS
before the due date, on the first day overdue, then weekly while it stays open; their words
are `reminder_email`, registered with the notification engine from PostmortemsConfig.ready()."""

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case, F, QuerySet, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.moments import check_day
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, ActionPhase, ActionStatus
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.services import action_item_create
from incidentdesk.notifications.outbox import emit
from incidentdesk.postmortems.models import FollowUpReminder, Postmortem

SETTLED = (ActionStatus.DONE, ActionStatus.WONT_DO)
DUE_AHEAD_DAYS_MAX = 5 * 366
REMIND_BEFORE_DAYS = 3
OVERDUE_EVERY_DAYS = 7
REMINDER_TOPIC = "action.reminder"


def followup_create(
    *,
    actor,
    source: ActionSource,
    postmortem: Postmortem,
    title: str,
    owner: Any,
    category: str = "",
    priority: str = "medium",
    due_date: date | None = None,
    external_url: str = "",
    description: str = "",
) -> ActionItem:
    """Add an improvement action to the postmortem's incident: one owner (required), a
    category, a priority, a due date (default: from the severity policy) and a ticket link."""
    require(actor, Perm.ACTION_WRITE)
    if not owner:
        raise ValidationError("name the one person who owns it", field="owner")
    today = timezone.localdate()
    if due_date is not None:
        check_day(due_date, field="due_date")
        if due_date < today:
            raise ValidationError("must not be in the past", field="due_date")
        if due_date > today + timedelta(days=DUE_AHEAD_DAYS_MAX):
            raise ValidationError("must be within five years", field="due_date")
    return action_item_create(
        actor=actor,
        source=source,
        incident=postmortem.incident,
        title=title,
        phase=ActionPhase.FOLLOW_UP,
        owner=owner,
        category=category,
        priority=priority,
        due_date=due_date,
        external_url=external_url,
        description=description,
    )


def followups_of(postmortem: Postmortem) -> QuerySet[ActionItem]:
    """The postmortem's improvement actions, open ones first, soonest due first."""
    return (
        ActionItem.objects.filter(incident_id=postmortem.incident_id, phase=ActionPhase.FOLLOW_UP)
        .select_related("owner")
        .annotate(settled=Case(When(status__in=SETTLED, then=Value(1)), default=Value(0)))
        .order_by("settled", F("due_date").asc(nulls_last=True), "id")
    )


def reminder_step(due_date: date, today: date) -> str | None:
    """Which reminder a pending action due on `due_date` has reached `today`, or None."""
    days_left = (due_date - today).days
    if days_left > REMIND_BEFORE_DAYS:
        return None
    if days_left >= 0:
        return f"{due_date.isoformat()}:due_soon"
    weeks = (-days_left - 1) // OVERDUE_EVERY_DAYS
    return f"{due_date.isoformat()}:overdue:{weeks}"


def reminder_email(data: dict) -> dict[str, str]:
    """The reminder to a follow-up's owner (registered renderer of REMINDER_TOPIC): due soon
    or overdue, as of `data["today"]`."""
    item = ActionItem.objects.select_related("incident").get(pk=data["action_item"])
    assert item.due_date is not None  # only dated actions are reminded of
    days_left = (item.due_date - date.fromisoformat(data["today"])).days
    context = {
        "item": item,
        "due": item.due_date.isoformat(),
        "overdue": days_left < 0,
        "late": -days_left,
        "when": "today" if days_left == 0 else f"in {days_left} day{'s' if days_left != 1 else ''}",
        "url": f"{settings.BASE_URL}/incidents/{item.incident.reference}/postmortem",
    }
    return {
        "subject": render_to_string("postmortems/email/action_reminder_subject.txt", context),
        "text": render_to_string("postmortems/email/action_reminder.txt", context),
    }


def _remind(pk: int, today: date, now) -> bool:
    with transaction.atomic():
        item = (
            ActionItem.objects.select_for_update(of=("self",))
            .select_related("incident", "owner")
            .get(pk=pk)
        )
        step = reminder_step(item.due_date, today) if item.due_date else None
        record = FollowUpReminder.objects.filter(action_item=item).first()
        # Checked again under the lock: another worker may have just sent this step.
        if step is None or (record and record.step == step):
            return False
        owner = item.owner
        if owner is None:  # taken off the follow-up since it was picked
            return False
        if not can_see(owner, item.incident):  # restricted since; never told about it
            return False
        FollowUpReminder.objects.update_or_create(
            action_item=item, defaults={"step": step, "sent_at": now}
        )
        emit(
            topic=REMINDER_TOPIC,
            payload={"action_item": item.pk, "today": today.isoformat()},
            staff_emails=[owner.email],
        )
    return True


def followup_reminders_send(*, now=None) -> int:
    """Email the owner of each pending follow-up that reached a reminder step it was not yet
    told about. Returns how many reminders were emitted."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    candidates = (
        ActionItem.objects.pending()
        .filter(
            phase=ActionPhase.FOLLOW_UP,
            due_date__isnull=False,
            due_date__lte=today + timedelta(days=REMIND_BEFORE_DAYS),
            owner__is_active=True,
        )
        .exclude(owner__email="")
        .values_list("pk", "due_date")
    )
    candidates = list(candidates)
    sent = dict(
        FollowUpReminder.objects.filter(
            action_item_id__in=[pk for pk, _ in candidates]
        ).values_list("action_item_id", "step")
    )
    count = 0
    for pk, due in candidates:
        step = reminder_step(due, today)
        if step and sent.get(pk) != step:
            count += _remind(pk, today, now)
    return count

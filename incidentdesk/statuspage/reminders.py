"""Reminders the status page sends on its own (source SYSTEM, no actor), run by periodic
tasks (statuspage/tasks.py).

- A published incident with reminders on that has had no public update for its interval (by
  default its severity's reminder interval): its lead and comms lead are emailed, again every
  interval, until it is resolved. The email names the interval, not the time elapsed.
- Scheduled maintenance with "remind prior" on: subscribers are told once, an hour before it
  starts (when it was announced earlier than that).

Their words are the renderers `publication_reminder_email` and `maintenance_reminder_email`,
registered with the notification engine in statuspage/notices.py."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from incidentdesk.incidents.models import IncidentRole, RoleAssignment
from incidentdesk.incidents.rules import format_duration
from incidentdesk.notifications.outbox import emit
from incidentdesk.statuspage.messages import incident_payload
from incidentdesk.statuspage.models import (
    UNRESOLVED_STATUSES,
    PageSettings,
    PublicIncident,
    PublicUpdate,
)
from incidentdesk.statuspage.public_site import refresh_after_commit

MAINTENANCE_REMIND_BEFORE = timedelta(hours=1)
PUBLICATION_REMINDER = "incident.reminder"
MAINTENANCE_REMINDER = "maintenance.reminder"
ROLE_WORDS: dict[str, str] = {IncidentRole.LEAD: "lead", IncidentRole.COMMS_LEAD: "comms lead"}


def _reminder_due(pi: PublicIncident, now) -> bool:
    interval = timedelta(minutes=pi.remind_interval_minutes)
    last = max(filter(None, (pi.last_update_at, pi.last_reminded_at)), default=pi.created_at)
    return now - last >= interval


def _recipients(pi: PublicIncident) -> tuple[list[str], str]:
    """The current lead and comms lead (or, when neither is taken, the reporter)."""
    holders = (
        RoleAssignment.objects.filter(incident=pi.incident, ended_at__isnull=True)
        .select_related("user")
        .order_by("id")
    )
    emails: dict[str, list[str]] = {}
    fallback: list[str] = []
    for assignment in holders:
        user = assignment.user
        if not user.is_active or not user.email:
            continue
        if assignment.role in ROLE_WORDS:
            emails.setdefault(user.email.lower(), []).append(ROLE_WORDS[assignment.role])
        elif assignment.role == IncidentRole.REPORTER:
            fallback.append(user.email.lower())
    # One message goes to all of them, so it names the roles, not what each reader holds.
    if not emails:
        return fallback[:1], "the reporter (no lead or comms lead is assigned)"
    words = sorted({w for roles in emails.values() for w in roles})
    return list(emails), " and ".join(f"the {word}" for word in words)


def publication_reminder_email(data: dict) -> dict:
    """The email reminding the people running an incident that its publication is quiet."""
    pi = PublicIncident.objects.select_related("incident").get(pk=data["publication"])
    assert pi.incident is not None  # only publications of incidents are reminded of
    context = {
        "incident": pi.incident,
        "publication": pi,
        "last_update": pi.updates.order_by("-display_at", "-id").first(),
        # The configured interval, not the time elapsed: the reminder says which rule fired.
        "interval": format_duration(timedelta(minutes=pi.remind_interval_minutes)),
        "roles": data["roles"],
        "url": f"{settings.BASE_URL}/incidents/{pi.incident.reference}",
    }
    return {
        "subject": render_to_string(
            "statuspage/email/publication_reminder_subject.txt", context
        ).strip(),
        "text": render_to_string("statuspage/email/publication_reminder.txt", context),
    }


def _remind(pi: PublicIncident, now) -> bool:
    assert pi.incident is not None  # only publications of incidents are candidates
    recipients, roles = _recipients(pi)
    pi.last_reminded_at = now
    pi.save(update_fields=["last_reminded_at"])
    if not recipients:
        return False
    emit(
        topic=PUBLICATION_REMINDER,
        payload={"publication": pi.pk, "roles": roles},
        staff_emails=recipients,
    )
    return True


def incident_reminders_send(*, now=None) -> int:
    """Remind the people running each published, unresolved incident whose public page has
    not been updated within its reminder interval (counting from the last update or the last
    reminder, whichever is later). Returns how many reminders were emitted."""
    now = now or timezone.now()
    candidates = PublicIncident.objects.filter(
        is_maintenance=False,
        remind_enabled=True,
        status__in=UNRESOLVED_STATUSES,
        incident__isnull=False,
    ).only("id", "last_update_at", "last_reminded_at", "remind_interval_minutes", "created_at")
    sent = 0
    for candidate in candidates:
        if not _reminder_due(candidate, now):
            continue
        with transaction.atomic():
            pi = (
                PublicIncident.objects.select_for_update(of=("self",))
                .select_related("incident")
                .get(pk=candidate.pk)
            )
            # Checked again under the lock: another worker may have just sent it.
            if pi.status in UNRESOLVED_STATUSES and pi.remind_enabled and _reminder_due(pi, now):
                sent += _remind(pi, now)
    return sent


def maintenance_reminder_email(data: dict) -> dict:
    """The email telling subscribers that scheduled maintenance starts within the hour."""
    pi = PublicIncident.objects.get(pk=data["publication"])
    context = {
        "page": PageSettings.load(),
        "maintenance": pi,
        "update": PublicUpdate.objects.get(pk=data["update"]),
        "components": [a.component for a in pi.affected.select_related("component")],
        "url": data["incident"]["shortlink"],
    }
    subject = render_to_string("statuspage/email/maintenance_reminder_subject.txt", context)
    return {
        "subject": subject.strip(),
        "text": render_to_string("statuspage/email/maintenance_reminder.txt", context),
    }


def _maintenance_reminder(pi: PublicIncident, now) -> None:
    update = pi.updates.order_by("-display_at", "-id").first()
    if update is None:  # every publication starts with an update; nothing to repeat without
        return
    emit(
        topic=MAINTENANCE_REMINDER,
        payload=incident_payload(pi, update),
        to_subscribers=True,
        component_ids=[a.component_id for a in pi.affected.all()],
    )


def maintenance_reminders_send(*, now=None) -> int:
    """Tell subscribers, once, that scheduled maintenance starts within the hour: for
    maintenance announced more than an hour ahead, with "remind prior" and notifications on.
    Returns how many reminders were emitted."""
    now = now or timezone.now()
    due = PublicIncident.objects.filter(
        is_maintenance=True,
        status="scheduled",
        scheduled_remind_prior=True,
        scheduled_reminded_at__isnull=True,
        scheduled_for__gt=now,
        scheduled_for__lte=now + MAINTENANCE_REMIND_BEFORE,
    ).values_list("id", flat=True)
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            pi = PublicIncident.objects.select_for_update().get(pk=pk)
            if pi.scheduled_reminded_at is not None or pi.status != "scheduled":
                continue
            pi.scheduled_reminded_at = now
            pi.save(update_fields=["scheduled_reminded_at"])
            refresh_after_commit()  # v2 JSON shows scheduled_reminded_at
            # Announced within the hour: that announcement was the reminder.
            starts = pi.scheduled_for or now
            announced_early = pi.created_at < starts - MAINTENANCE_REMIND_BEFORE
            if pi.notify_subscribers and announced_early:
                _maintenance_reminder(pi, now)
                sent += 1
    return sent

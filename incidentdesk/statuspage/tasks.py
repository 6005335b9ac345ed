"""Status page work for the queue: the public site refreshed every minute, scheduled
maintenance that starts and completes itself at its scheduled times, and its "starts soon"
reminder to subscribers (every minute)."""

import logging

from django.db import transaction
from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.public_site import refresh

logger = logging.getLogger(__name__)

STARTED = "Scheduled maintenance is now in progress. We will provide updates as necessary."
COMPLETED = "The scheduled maintenance has been completed."


@db_periodic_task(crontab(minute="*"))
def refresh_every_minute() -> None:
    """Keep time-based content fresh: today's uptime bar, maintenance about to start; and try
    documents that failed to render again."""
    refresh()


def _next_step(maintenance: PublicIncident, now) -> tuple[str, str] | None:
    """Where auto-transitioning maintenance should be now, if it is not there yet. Past its
    end (e.g. the workers were down through the window) it completes directly."""
    if (
        maintenance.scheduled_until
        and now >= maintenance.scheduled_until
        and maintenance.status != "completed"
    ):
        return "completed", COMPLETED
    if (
        maintenance.scheduled_for
        and now >= maintenance.scheduled_for
        and maintenance.status == "scheduled"
    ):
        return "in_progress", STARTED
    return None


def maintenance_transitions_run(*, now=None) -> int:
    """Start and complete every auto-transitioning maintenance that is due, as the system
    (no actor). Each step goes through `maintenance_update`, so components, the timeline,
    subscribers and the public site follow as when a person does it. Returns steps taken."""
    from incidentdesk.statuspage.services import maintenance_update

    now = now or timezone.now()
    due = PublicIncident.objects.filter(
        is_maintenance=True,
        scheduled_auto_transition=True,
        status__in=["scheduled", "in_progress", "verifying"],
        scheduled_for__lte=now,
    ).values_list("id", flat=True)
    steps = 0
    for pk in list(due):
        try:
            with transaction.atomic():
                # Locked and read again: two workers never post the same step twice.
                maintenance = PublicIncident.objects.select_for_update().get(pk=pk)
                step = (
                    _next_step(maintenance, now) if maintenance.scheduled_auto_transition else None
                )
                if step is None:
                    continue
                maintenance_update(
                    actor=None,
                    source=ActionSource.SYSTEM,
                    maintenance=maintenance,
                    status=step[0],
                    message=step[1],
                    notify=maintenance.notify_subscribers,
                )
                steps += 1
        except IncidentDeskError as exc:  # one bad row must not stop the others
            logger.warning("maintenance %s: could not move on: %s", pk, exc.detail)
    return steps


@db_periodic_task(crontab(), priority=30)
def maintenance_tick() -> None:
    """Every minute: due maintenance steps, then "starts within the hour" reminders."""
    from incidentdesk.statuspage.reminders import maintenance_reminders_send

    maintenance_transitions_run()
    maintenance_reminders_send()


@db_periodic_task(crontab(), priority=30)
def publication_reminders() -> None:
    """Every minute: remind the people running quiet publications; forget subscription
    attempts older than the rate limit's memory."""
    from incidentdesk.statuspage.reminders import incident_reminders_send
    from incidentdesk.statuspage.subscribers import subscribe_attempts_forget

    incident_reminders_send()
    subscribe_attempts_forget()

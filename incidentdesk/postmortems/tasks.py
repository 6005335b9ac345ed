"""Periodic work of postmortems (Huey): follow-up reminders and the weekly review digest.

Both run hourly and are idempotent: a reminder step is sent once per action item, and the
digest once per ISO week, in the Monday 08:00 hour of the reporting time zone."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from incidentdesk.postmortems.followups import followup_reminders_send
from incidentdesk.postmortems.review import review_digest_send


@db_periodic_task(crontab(minute="5"), priority=30)
def followup_reminders() -> None:
    """Remind owners of follow-ups due soon or overdue."""
    followup_reminders_send()


@db_periodic_task(crontab(minute="0"), priority=30)
def review_digest() -> None:
    """Send managers the weekly review when its hour has come."""
    review_digest_send()

"""Periodic work of incidents (Huey): the hourly reminder of the day blocked work resumes."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task


@db_periodic_task(crontab(minute="15"), priority=30)
def resume_reminders() -> None:
    """Remind leads whose blocked incidents were to resume work today (once per date)."""
    from incidentdesk.incidents.services.lifecycle import resume_reminders_send

    resume_reminders_send()

"""The daily purge of closed incidents' chat transcripts (Huey), imported from the chat app's
ready() so the consumer schedules it."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from incidentdesk.chat import transcripts


@db_periodic_task(crontab(hour="3", minute="40"), priority=20)
def purge_transcripts() -> None:
    """Delete the transcripts past their retention period (see transcripts.transcripts_purge)."""
    transcripts.transcripts_purge()

"""Chat work for the queue (Huey): acting on inbound events after their request was answered."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from incidentdesk.chat import checkins, handling


@db_task(priority=40)
def handle_inbound(record_id: int) -> None:
    """Act on one stored inbound event (once; see handling.handle)."""
    handling.handle(record_id)


@db_periodic_task(crontab(), priority=30)
def checkins_every_minute() -> None:
    """Remind the incidents whose check-in is due (see checkins.checkins_remind)."""
    checkins.checkins_remind()

"""Chat work for the queue (Huey): acting on inbound events after their request was answered,
and, every minute, the sweep that acts on events nobody acted on (the queue was down when they
arrived, or their worker died)."""

import logging

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from incidentdesk.chat import checkins, handling

logger = logging.getLogger(__name__)


@db_task(priority=40)
def handle_inbound(record_id: int) -> None:
    """Act on one stored inbound event (once; see handling.handle)."""
    handling.handle(record_id)


@db_periodic_task(crontab(), priority=30)
def checkins_every_minute() -> None:
    """Remind the incidents whose check-in is due (see checkins.checkins_remind)."""
    checkins.checkins_remind()


@db_periodic_task(crontab(), priority=30)
def chat_inbound_sweep() -> None:
    """Queue again every stored event left unhandled."""
    left = handling.unhandled()
    if left:
        logger.warning("%s chat events were left unhandled; acting on them now", len(left))
    for record_id in left:
        handle_inbound(record_id)

"""Chat work for the queue (Huey): acting on inbound events after their request was answered."""

from huey.contrib.djhuey import db_task

from incidentdesk.chat import handling


@db_task(priority=40)
def handle_inbound(record_id: int) -> None:
    """Act on one stored inbound event (once; see handling.handle)."""
    handling.handle(record_id)

"""Notification work for the queue. (Being written: see the notifications helper.)"""

from huey.contrib.djhuey import db_task


@db_task()
def fan_out(event_id: int) -> None:
    """Turn an outbox event into deliveries and deliver them."""

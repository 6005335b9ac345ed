"""Escalation work for the queue (Huey): a one-off run queued for each step's due time, and a
run every minute that catches any step whose one-off run the queue lost (a restarted worker,
a flushed queue). Both call the same idempotent `escalations_advance`."""

from django.db import transaction
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from incidentdesk.oncall import escalation


@db_task(priority=35)
def escalate() -> None:
    """Run the steps that are due now (queued for a step's `next_at`)."""
    escalation.escalations_advance(queue=_queue)


@db_periodic_task(crontab(), priority=35)
def escalations_every_minute() -> None:
    """Run every step that came due, whatever was or was not queued for it."""
    escalation.escalations_advance(queue=_queue)


def _queue(when) -> None:
    """Once the step's transaction commits, queue a run for the next step's due time."""
    transaction.on_commit(lambda: escalate.schedule(eta=when))

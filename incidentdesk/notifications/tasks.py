"""Notification work for the queue (Huey). The tasks are thin: the engine is in delivery.py.

- fan_out(event_id): after a change commits, make its deliveries and start delivering (a
  small event's deliveries right there).
- deliver(): claim due deliveries batch by batch for up to ~20 s, then hand over to a fresh
  task if work remains (so other tasks get their turn).
- every minute, and again 20 and 40 seconds later: the sweep (retries that came due, work a
  dead worker left, events never fanned out)."""

import logging
import math

from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from incidentdesk.notifications import delivery

logger = logging.getLogger(__name__)

# Deliver tasks queued at once for a big fan-out; each one drains batches until none is due,
# so a few keep every worker thread busy and the rest return after one query.
MAX_PARALLEL = 16
SWEEP_EVERY = 20  # seconds
# An event with at most this many deliveries is delivered by the task that fanned it out.
DELIVER_HERE = 10


def schedule_delivery(due: int | None = None) -> None:
    """Queue enough deliver tasks for `due` deliveries (at least one)."""
    count = 1 if not due else min(math.ceil(due / delivery.BATCH), MAX_PARALLEL)
    for _ in range(max(count, 1)):
        deliver()


@db_task(priority=20)
def fan_out(event_id: int) -> None:
    """Turn an outbox event into deliveries and deliver them: a small event (a chat reply, a
    notice to a few people) in this same task, with no second trip through the queue; a big
    one by deliver tasks in parallel."""
    created = delivery.fan_out_event(event_id)
    if not created:
        return
    if created > DELIVER_HERE:
        schedule_delivery(created)
        return
    _, more = delivery.deliver_due(seconds=5.0)
    if more:
        deliver()


@db_task(priority=10)
def deliver() -> None:
    """Send due deliveries until none is due or the time slice is over."""
    counts, more = delivery.deliver_due(seconds=20.0)
    if counts["sent"] or counts["failed"]:
        logger.info("delivered %(sent)s, failed %(failed)s", counts)
    if more:
        deliver()


@db_task(priority=30)
def sweep() -> None:
    """Repair and re-queue: see delivery.sweep."""
    counts = delivery.sweep()
    if counts["due"]:
        schedule_delivery(counts["due"])


@db_periodic_task(crontab(), priority=30)
def notifications_tick() -> None:
    """Every minute: sweep now, at +20 s and at +40 s."""
    sweep.call_local()
    if not HUEY.immediate:
        for delay in (SWEEP_EVERY, 2 * SWEEP_EVERY):
            sweep.schedule(delay=delay)

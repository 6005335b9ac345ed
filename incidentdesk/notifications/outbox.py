"""The one way to notify anyone: `emit` an event inside the writing transaction.

The event stores what to say (a snapshot built now, so a later retry sends the same words) and
to whom; after commit a worker fans it out into deliveries. If the transaction rolls back, the
event vanishes with it and nobody is told about a change that did not happen."""

import logging

from django.db import transaction

from incidentdesk.notifications.models import OutboxEvent

logger = logging.getLogger(__name__)


def emit(
    *,
    topic: str,
    payload: dict,
    to_subscribers: bool = False,
    component_ids: list[int] | None = None,
    staff_emails: list[str] | None = None,
) -> OutboxEvent:
    """Record an event to tell subscribers (all of them, or those of `component_ids` plus
    everyone subscribed to everything) and/or the given staff addresses.

    `payload` holds the message snapshot: for subscriber topics the Statuspage webhook body
    (`meta`, `page`, then `incident` or `component_update` + `component`) plus `email`
    (`subject`, `text`); for staff topics `email` only."""
    event = OutboxEvent.objects.create(
        topic=topic,
        payload=payload,
        to_subscribers=to_subscribers,
        component_ids=component_ids or [],
        staff_emails=staff_emails or [],
    )
    transaction.on_commit(lambda: _schedule_fan_out(event.pk))
    return event


def _schedule_fan_out(event_id: int) -> None:
    """Queue the fan-out. If the queue is unreachable the change still stands: the event is
    in the database, and the periodic sweep fans it out later."""
    from incidentdesk.notifications.tasks import fan_out

    try:
        fan_out(event_id)
    except Exception:  # the queue's failure must not fail a committed change
        logger.exception("could not queue fan-out of event %s; the sweep will", event_id)

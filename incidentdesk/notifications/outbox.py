"""The one way to notify anyone: `emit` an event inside the writing transaction.

The event stores its data, the words each channel kind's renderer fixed for it now (so a later
retry sends the same words; see registry.py) and to whom; after commit a worker fans it out
into deliveries. If the transaction rolls back, the event vanishes with it and nobody is told
about a change that did not happen."""

import logging

from django.db import transaction

from incidentdesk.notifications import registry
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
    """Record an event of `topic` with its structured data (`payload`) to tell the audience
    registered for the topic (`to_subscribers`; `component_ids` are the subjects it narrows
    by) and/or the given staff addresses, by email.

    The renderers registered for the topic with when="emit" word it now, inside the caller's
    transaction; a payload may also carry its words already, under a channel kind's name
    (`{"email": {"subject", "text"}}`)."""
    event = OutboxEvent.objects.create(
        topic=topic,
        payload=registry.word(topic, payload, "emit"),
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

"""Taking in what a platform delivers, the same way whichever door it came through (an HTTP
endpoint, Slack's Socket Mode): each event is stored once (`services.inbound_record`), a new one
is queued for a worker after the record is committed, a repeated delivery is acknowledged and
not queued again. A submitted form is the exception: it is taken now, in the delivery, because
the platform shows a refused field's error only if told at once.

Nothing here calls a platform: the door answers quickly, and the worker does the talking.
"""

import logging
from dataclasses import dataclass, field
from typing import Any

from incidentdesk.chat import handling, services, tasks
from incidentdesk.chat.models import InboundRecord
from incidentdesk.chat.platforms.base import ChatPlatform, InboundEvent
from incidentdesk.chat.queue import after_commit

logger = logging.getLogger(__name__)

FORM_FAILED = "Something went wrong on our side and nothing was changed; try again."


@dataclass
class Received:
    """What a delivery brought: how many events were new, how many repeated, and, for a
    submitted form, what to answer the platform with (`form_answer`: None when the delivery
    held no form; an empty dict means "accepted")."""

    new: int = 0
    repeated: int = 0
    form_answer: dict[str, Any] | None = None
    records: list[InboundRecord] = field(default_factory=list)


def receive(platform: ChatPlatform, events: list[InboundEvent]) -> Received:
    """Store each event once and queue the new ones (see the module's docstring). Raises the
    `ValidationError` of an event whose ids the store refuses (too long), before storing it."""
    received = Received()
    for event in events:
        record, created = services.inbound_record(event)
        received.records.append(record)
        if created:
            received.new += 1
        else:
            received.repeated += 1
        if event.kind == "form_submit":
            errors = _submitted(record, event) if created else _repeated_form(record)
            received.form_answer = _form_answer(platform, event, errors)
        elif created:
            # A queue that cannot be reached must not fail the delivery (Slack would retry
            # it, and the retry would be dropped as a repeat): the record is stored, and the
            # sweep (tasks.chat_inbound_sweep) acts on it within a minute.
            after_commit(tasks.handle_inbound, record.pk)
    return received


def _submitted(record: InboundRecord, event: InboundEvent) -> dict[str, str]:
    """Take the form now; the record is marked done with what was wrong, if anything."""
    try:
        errors = handling.submit_form(event)
    except Exception:
        # Never a failed delivery: the person sees a sentence, the admin the log.
        logger.exception("chat form %s (%s) failed", record.pk, event.values.get("_form"))
        errors = {"": FORM_FAILED}
        services.inbound_done(record=record, error="internal error (see the server log)")
        return errors
    summary = "; ".join(f"{name}: {text}" if name else text for name, text in errors.items())
    services.inbound_done(record=record, error=summary)
    return errors


def _repeated_form(record: InboundRecord) -> dict[str, str]:
    """A form delivered again (the first delivery's answer was lost) is answered as it was
    then, as far as the record tells: accepted, or refused with its summary."""
    return {"": record.error} if record.error else {}


def _form_answer(
    platform: ChatPlatform, event: InboundEvent, errors: dict[str, str]
) -> dict[str, Any]:
    """The platform's own words for "accepted" or "these fields are wrong" (Slack's
    `response_action`); a platform with no such words gets an empty answer."""
    answer = getattr(platform, "form_response", None)
    return answer(event, errors) if answer is not None else {}

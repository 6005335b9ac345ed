"""The protocol every channel kind implements.

A channel is made for one batch of deliveries (so it can keep one SMTP connection or one HTTP
connection per host for the whole batch) and yields an `Outcome` for each delivery as soon as
it knows it, so the caller can record progress while the batch is still being sent."""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from incidentdesk.notifications.models import Delivery


@dataclass
class Outcome:
    delivery: Delivery
    error: str = ""  # empty: delivered
    permanent: bool = False  # retrying cannot help (e.g. a refused address)
    # The receiver asked to be left alone this long (HTTP 429 Retry-After): the next attempt
    # waits at least that, even when the engine's backoff is shorter.
    retry_after: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.error


class Channel(Protocol):
    """Deliver a batch. Every delivery has `event` (with its payload) and `standing` (what
    its audience says about the recipient: `registry.Standing`) loaded. The words come from
    `registry.words_for(event.topic, event.payload, kind)`. Must yield exactly one Outcome
    per delivery and never raise for one recipient's failure."""

    def send(self, batch: list[Delivery]) -> Iterator[Outcome]: ...


def describe(exc: BaseException) -> str:
    """An exception as one short line for `last_error`."""
    text = str(exc).strip() or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}"[:500]

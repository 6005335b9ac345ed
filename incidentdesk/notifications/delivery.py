"""The delivery engine: fan an outbox event out into deliveries, claim due deliveries, send
them through their channel and record what happened; and the sweep that repairs what a dead
worker left behind.

Guarantees (see docs/notifications.md):
- fan-out is one transaction and idempotent (unique delivery keys): run it twice, get one set;
- a delivery is sent only by the worker that claimed it (pending → sending in one statement
  guarded by the status, inside a write transaction);
- a worker killed at any point loses nothing: pending rows wait for the sweep, and rows left
  `sending` for CLAIM_TIMEOUT go back to pending. The only possible repeat is a message the
  server accepted in the last moments before the kill (at most FLUSH_EVERY per worker
  thread); it is re-sent with the same Message-ID / delivery key."""

import hashlib
import logging
import random
import time
from collections import defaultdict
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from incidentdesk.notifications import registry
from incidentdesk.notifications.channels.base import Outcome
from incidentdesk.notifications.models import Delivery, DeliveryStatus, OutboxEvent

logger = logging.getLogger(__name__)

BATCH = 200  # deliveries claimed at once
FLUSH_EVERY = 10  # successes recorded together (bounds repeats after a crash)
FLUSH_SECONDS = 0.5
MAX_ATTEMPTS = 8
BACKOFF_FIRST = 30  # seconds; doubled on every attempt
BACKOFF_MAX = 3600
CLAIM_TIMEOUT = timedelta(minutes=2)
FAN_OUT_GRACE = timedelta(seconds=5)
KEY_MAX = 120


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s × 2^(n-1), at most 1 h, ±20 %
    jitter so that a receiver coming back is not hit by every retry at once."""
    seconds = min(BACKOFF_FIRST * 2 ** max(attempts - 1, 0), BACKOFF_MAX)
    return timedelta(seconds=seconds * random.uniform(0.8, 1.2))


def delivery_key(event_id: int, who: str) -> str:
    key = f"{event_id}:{who}"
    if len(key) > KEY_MAX:
        key = f"{event_id}:sha256:{hashlib.sha256(who.encode()).hexdigest()}"
    return key


# -- fan-out ---------------------------------------------------------------------------------


def _audience_rows(event: OutboxEvent) -> tuple[str, list[registry.Recipient]]:
    """The event's audience (registered for its topic) and its recipients, one per
    (kind, address), in the audience's order."""
    audience = registry.audience_of(event.topic)
    if audience is None:
        logger.error("event %s (%s): no audience is registered for it", event.pk, event.topic)
        return "", []
    seen, unique = set(), []
    for recipient in audience.recipients(event):
        if recipient.address and (recipient.kind, recipient.address) not in seen:
            seen.add((recipient.kind, recipient.address))
            unique.append(recipient)
    return audience.name, unique


def fan_out_event(event_id: int) -> int:
    """Create every delivery of an event, once. Returns how many were created (0 when it was
    already fanned out or no longer exists)."""
    with transaction.atomic():
        event = OutboxEvent.objects.select_for_update().filter(pk=event_id).first()
        if event is None or event.fanned_out_at is not None:
            return 0
        # Words written after the change committed (they see all it did) are fixed now.
        event.payload = registry.word(event.topic, event.payload, "fan_out")
        now = timezone.now()
        deliveries = []
        if event.to_subscribers:
            name, recipients = _audience_rows(event)
            deliveries += [
                Delivery(
                    event=event,
                    audience=name,
                    reference=recipient.reference,
                    channel=recipient.kind,
                    recipient=recipient.address,
                    key=delivery_key(event.pk, recipient.reference or recipient.address),
                    next_attempt_at=now,
                    created_at=now,
                )
                for recipient in recipients
            ]
        for address in dict.fromkeys(a.strip().lower() for a in event.staff_emails if a):
            deliveries.append(
                Delivery(
                    event=event,
                    channel="email",
                    recipient=address,
                    key=delivery_key(event.pk, address),
                    next_attempt_at=now,
                    created_at=now,
                )
            )
        Delivery.objects.bulk_create(deliveries, batch_size=500, ignore_conflicts=True)
        event.fanned_out_at = now
        event.save(update_fields=["fanned_out_at", "payload"])
    logger.info("event %s (%s): %s deliveries", event_id, event.topic, len(deliveries))
    return len(deliveries)


# -- delivering ------------------------------------------------------------------------------


def claim(limit: int = BATCH) -> list[Delivery]:
    """Take up to `limit` due deliveries for this worker: pending → sending, in one write
    transaction (SQLite's IMMEDIATE transactions queue writers; PostgreSQL skips rows another
    worker has locked). Only the claimer sends them."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            Delivery.objects.select_for_update(skip_locked=True)
            .filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")
            .values_list("id", flat=True)[:limit]
        )
        if not ids:
            return []
        Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SENDING, claimed_at=now
        )
    batch = list(Delivery.objects.filter(pk__in=ids))
    events = OutboxEvent.objects.in_bulk({d.event_id for d in batch})
    for delivery in batch:
        delivery.event = events[delivery.event_id]
    return batch


class Recorder:
    """Writes outcomes back: successes in small groups (few writes, short crash window),
    failures with their backoff."""

    def __init__(self):
        self.sent: list[int] = []
        self.failed: list[Outcome] = []
        self.flushed_at = time.monotonic()
        self.counts = {"sent": 0, "failed": 0}

    def add(self, outcome: Outcome) -> None:
        if outcome.ok:
            self.sent.append(outcome.delivery.pk)
        else:
            self.failed.append(outcome)
        if len(self.sent) >= FLUSH_EVERY or time.monotonic() - self.flushed_at > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        now = timezone.now()
        if self.sent:
            Delivery.objects.filter(pk__in=self.sent, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.SENT,
                sent_at=now,
                attempts=F("attempts") + 1,
                claimed_at=None,
                last_error="",
            )
            self.counts["sent"] += len(self.sent)
        groups = defaultdict(list)
        for outcome in self.failed:
            d = outcome.delivery
            gives_up = outcome.permanent or d.attempts + 1 >= MAX_ATTEMPTS
            wait = round(outcome.retry_after)
            groups[(d.attempts + 1, outcome.error, gives_up, wait)].append(d.pk)
        for (attempts, error, gives_up, wait), ids in groups.items():
            Delivery.objects.filter(pk__in=ids, status=DeliveryStatus.SENDING).update(
                status=DeliveryStatus.FAILED if gives_up else DeliveryStatus.PENDING,
                attempts=attempts,
                next_attempt_at=now + max(backoff(attempts), timedelta(seconds=wait)),
                claimed_at=None,
                last_error=error,
            )
            self.counts["failed"] += len(ids)
        self.sent, self.failed = [], []
        self.flushed_at = time.monotonic()


GONE = registry.Standing(skip="skipped: the recipient no longer exists")


def _with_standing(batch: list[Delivery]) -> list[Delivery]:
    """Each delivery with `standing`: what its audience says about the recipient now (plain
    addresses stand as they are)."""
    references = defaultdict(set)
    for delivery in batch:
        if delivery.audience:
            references[delivery.audience].add(delivery.reference)
    standings = {}
    for name, refs in references.items():
        audience = registry.audience(name)
        found = audience.standing(sorted(refs)) if audience else {}
        standings.update({(name, ref): found.get(ref, GONE) for ref in refs})
    for delivery in batch:
        delivery.standing = standings.get(
            (delivery.audience, delivery.reference), registry.Standing()
        )
    return batch


def send_batch(batch: list[Delivery]) -> dict[str, int]:
    """Send claimed deliveries through their channels and record each outcome."""
    recorder = Recorder()
    by_channel = defaultdict(list)
    for delivery in _with_standing(batch):
        if delivery.standing.skip:
            recorder.add(Outcome(delivery, delivery.standing.skip, permanent=True))
        elif delivery.channel not in registry.channel_kinds():
            recorder.add(Outcome(delivery, f"no channel kind {delivery.channel!r}"))
        else:
            by_channel[delivery.channel].append(delivery)
    try:
        for name, deliveries in by_channel.items():
            for outcome in registry.channel(name).send(deliveries):
                recorder.add(outcome)
    finally:
        recorder.flush()
    return recorder.counts


def deliver_due(*, seconds: float = 20.0) -> tuple[dict[str, int], bool]:
    """Claim and send due deliveries, batch after batch, for about `seconds`. Returns the
    counts and whether due work may remain."""
    totals = {"sent": 0, "failed": 0}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        batch = claim()
        if not batch:
            return totals, False
        for name, count in send_batch(batch).items():
            totals[name] += count
    return totals, True


# -- repair ----------------------------------------------------------------------------------


def sweep() -> dict[str, int]:
    """Repair after crashes and outages: fan out events nobody fanned out, put deliveries a
    dead worker left `sending` back to pending. Returns counts,
    including how many deliveries are due now."""
    now = timezone.now()
    stuck_events = list(
        OutboxEvent.objects.filter(
            fanned_out_at__isnull=True, created_at__lte=now - FAN_OUT_GRACE
        ).values_list("id", flat=True)[:100]
    )
    for event_id in stuck_events:
        fan_out_event(event_id)
    reset = Delivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - CLAIM_TIMEOUT
    ).update(
        status=DeliveryStatus.PENDING,
        claimed_at=None,
        next_attempt_at=now,
        last_error="the worker sending it stopped; sending again",
    )
    due = Delivery.objects.filter(
        status=DeliveryStatus.PENDING, next_attempt_at__lte=timezone.now()
    ).count()
    if reset or stuck_events:
        logger.warning("sweep: fanned out %s events, reset %s deliveries", stuck_events, reset)
    return {"events": len(stuck_events), "reset": reset, "due": due}

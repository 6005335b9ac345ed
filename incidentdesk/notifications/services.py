"""Delivery use cases: managers retry deliveries; a domain forgets a recipient's deliveries
when it removes them. Every write runs in one transaction."""

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import InvalidTransition
from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications.models import Delivery, DeliveryStatus

__all__ = ["deliveries_forget", "delivery_retry", "delivery_retry_failed"]


def delivery_retry(*, actor, source: ActionSource, delivery: Delivery) -> Delivery:
    """Try a failed (or waiting) delivery again now (managers). A failed one gets one more
    attempt; if that fails too it is marked failed again."""
    require(actor, Perm.SUBSCRIBER_MANAGE)
    with transaction.atomic():
        changed = Delivery.objects.filter(
            pk=delivery.pk, status__in=[DeliveryStatus.FAILED, DeliveryStatus.PENDING]
        ).update(status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), claimed_at=None)
        if not changed:
            raise InvalidTransition("only a failed or waiting delivery can be retried")
        transaction.on_commit(_schedule_delivery)
    delivery.refresh_from_db()
    return delivery


def delivery_retry_failed(*, actor, source: ActionSource) -> int:
    """Give every failed delivery one more attempt now (managers). Returns how many."""
    require(actor, Perm.SUBSCRIBER_MANAGE)
    with transaction.atomic():
        count = Delivery.objects.filter(status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, next_attempt_at=timezone.now(), claimed_at=None
        )
        if count:
            transaction.on_commit(_schedule_delivery)
    return count


def _schedule_delivery() -> None:
    from incidentdesk.notifications.tasks import schedule_delivery

    schedule_delivery()


def deliveries_forget(*, audience: str, reference: str) -> int:
    """Delete the delivery history of one recipient of `audience` (for a domain removing that
    recipient, inside its own transaction). Returns how many rows went."""
    deleted, _ = Delivery.objects.filter(audience=audience, reference=reference).delete()
    return deleted

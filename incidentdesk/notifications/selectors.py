"""Reads for the notification admin pages."""

from django.db.models import Count, Q, QuerySet

from incidentdesk.notifications.models import Delivery, DeliveryStatus, Subscriber

PAGE_SIZE = 50


def delivery_list(*, status: str = "", query: str = "") -> QuerySet[Delivery]:
    """Deliveries, newest first, with their event; filtered by status and recipient/topic."""
    qs = Delivery.objects.select_related("event").order_by("-id")
    if status in DeliveryStatus.values:
        qs = qs.filter(status=status)
    if query:
        qs = qs.filter(Q(recipient__icontains=query) | Q(event__topic__icontains=query))
    return qs.defer("event__payload")


def delivery_counts() -> dict[str, int]:
    """How many deliveries are in each status (every status present, zero or not)."""
    counts = dict.fromkeys(DeliveryStatus.values, 0)
    for row in Delivery.objects.values("status").annotate(n=Count("id")).order_by():
        counts[row["status"]] = row["n"]
    return counts


def subscriber_list(*, kind: str = "", state: str = "", query: str = "") -> QuerySet[Subscriber]:
    """Subscribers, newest first, with their components; `state` is confirmed, unconfirmed
    or unsubscribed."""
    qs = Subscriber.objects.prefetch_related("components")
    if kind in ("email", "webhook"):
        qs = qs.filter(kind=kind)
    if state == "confirmed":
        qs = qs.active()
    elif state == "unconfirmed":
        qs = qs.filter(confirmed_at__isnull=True, unsubscribed_at__isnull=True)
    elif state == "unsubscribed":
        qs = qs.filter(unsubscribed_at__isnull=False)
    if query:
        qs = qs.filter(Q(email__icontains=query) | Q(url__icontains=query))
    return qs


def subscriber_counts() -> dict[str, int]:
    return {
        "confirmed": Subscriber.objects.active().count(),
        "unconfirmed": Subscriber.objects.filter(
            confirmed_at__isnull=True, unsubscribed_at__isnull=True
        ).count(),
        "unsubscribed": Subscriber.objects.filter(unsubscribed_at__isnull=False).count(),
    }

"""Reads for the deliveries page."""

from django.db.models import Count, Q, QuerySet

from incidentdesk.notifications.models import Delivery, DeliveryStatus

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

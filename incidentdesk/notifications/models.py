"""Subscribers, and the outbox every notification goes through.

A change writes an OutboxEvent in its own transaction. Workers turn each event into one
Delivery per recipient (unique delivery key, so fanning out twice adds nothing) and deliver
them with retries and backoff. A worker killed at any moment loses nothing: undelivered rows
stay in the database and a periodic sweep picks them up again."""

from django.db import models
from django.utils import timezone

from incidentdesk.incidents.models import Component


class SubscriberKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscriber(models.Model):
    """Someone outside the team who asked to be told about the status page's changes.
    With no components chosen they hear about everything."""

    kind = models.CharField(max_length=8, choices=SubscriberKind.choices)
    email = models.EmailField(max_length=254, blank=True)
    url = models.URLField(max_length=500, blank=True)
    components = models.ManyToManyField(Component, blank=True, related_name="subscribers")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_ip = models.GenericIPAddressField(null=True, blank=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["kind", "confirmed_at"])]

    def __str__(self) -> str:
        return self.email or self.url

    @property
    def address(self) -> str:
        return self.email or self.url


class OutboxEvent(models.Model):
    """Something to tell people about, recorded in the same transaction as the change."""

    topic = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    # Who is told: subscribers (filtered by components) and/or named staff addresses.
    to_subscribers = models.BooleanField(default=False)
    component_ids = models.JSONField(default=list, blank=True)
    staff_emails = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    fanned_out_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.topic} #{self.pk}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (gave up)"


class Delivery(models.Model):
    """One message to one recipient for one event."""

    event = models.ForeignKey(OutboxEvent, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(
        Subscriber, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16)
    recipient = models.CharField(max_length=500)
    key = models.CharField(max_length=120, unique=True, help_text="Idempotency key.")
    status = models.CharField(
        max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.status}"


class SubscribeAttempt(models.Model):
    """Recent self-service subscriptions by address, for the per-IP rate limit."""

    ip = models.GenericIPAddressField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.ip} at {self.created_at}"

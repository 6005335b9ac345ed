"""The outbox every notification goes through.

A change writes an OutboxEvent in its own transaction. Workers turn each event into one
Delivery per recipient (unique delivery key, so fanning out twice adds nothing) and deliver
them with retries and backoff. A worker killed at any moment loses nothing: undelivered rows
stay in the database and a periodic sweep picks them up again."""

from django.db import models
from django.utils import timezone

from incidentdesk.notifications.recipients import Standing


class OutboxEvent(models.Model):
    """Something to tell people about, recorded in the same transaction as the change.

    `payload` is the event's structured data; the words a channel kind fixed for it (when it
    was emitted or fanned out) are stored in it under that kind's name (`payload["email"]`)."""

    topic = models.CharField(max_length=50)
    payload = models.JSONField(default=dict)
    # Who is told: the audience registered for the topic (narrowed by the subjects it names in
    # `component_ids`), and/or named staff addresses (by email).
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
    # The channel kind (email, webhook, …) and the address it sends to.
    channel = models.CharField(max_length=16)
    recipient = models.CharField(max_length=500)
    # Which registered audience the recipient came from, and that audience's own reference to
    # them (opaque to the engine; blank for a plain address).
    audience = models.CharField(max_length=50, blank=True)
    reference = models.CharField(max_length=100, blank=True)
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

    # Not stored: set on a claimed batch just before sending (what its audience says now).
    standing: Standing

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["audience", "reference"]),
        ]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.channel} to {self.recipient}: {self.status}"

"""What the chat layer remembers: who is who on each platform, every inbound event (the
de-duplication store), and which conversation and announcement belong to which incident.

A platform is named by its kind ("slack", "matrix"), not by a choice list: platforms are plugins
(see `registry.py`), and a row outlives a platform that is no longer configured.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidentdesk.chat.platforms.base import InboundEvent

KIND_LENGTH = 32
REF_LENGTH = 255  # a platform's ids (Slack's are short; Matrix event and room ids are longer)


class LinkMethod(models.TextChoices):
    """How a chat identity came to be linked to an account (or not)."""

    NONE = "", "Not linked"
    EMAIL = "email", "Verified email"
    # An admin decided: linked to `user`, or, with no user, to no account. Either way a later
    # email match does not change it.
    ADMIN = "admin", "By an admin"


class ChatIdentity(models.Model):
    """A person as a chat platform knows them, and the account they act as."""

    platform = models.CharField(max_length=KIND_LENGTH)
    external_id = models.CharField(max_length=REF_LENGTH, help_text="The platform's user id.")
    name = models.CharField(max_length=200, blank=True)
    email = models.CharField(
        max_length=254, blank=True, help_text="As the platform reported it, when verified there."
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="chat_identities",
    )
    link = models.CharField(
        max_length=8, choices=LinkMethod.choices, default=LinkMethod.NONE, blank=True
    )
    linked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["platform", "name", "external_id"]
        verbose_name_plural = "chat identities"
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "external_id"], name="chat_identity_unique_external_id"
            ),
            # One account is one person on each platform, so a direct message has one address.
            models.UniqueConstraint(
                fields=["platform", "user"],
                condition=Q(user__isnull=False),
                name="chat_identity_one_per_user",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.name or self.external_id}"


class InboundRecord(models.Model):
    """One inbound event, stored once under (platform, dedup_key) before anything acts on it:
    a delivery the platform repeats finds its row and is not acted on again."""

    platform = models.CharField(max_length=KIND_LENGTH)
    dedup_key = models.CharField(max_length=REF_LENGTH)
    kind = models.CharField(max_length=KIND_LENGTH)
    conversation = models.CharField(max_length=REF_LENGTH, blank=True)
    actor = models.CharField(max_length=REF_LENGTH, blank=True)
    occurred_at = models.DateTimeField()
    details = models.JSONField(
        default=dict, blank=True, help_text="The event's other normalised fields."
    )
    received_at = models.DateTimeField(default=timezone.now)
    # The worker acting on it took it at this time (a claim older than the claim timeout was
    # lost with its worker, and the sweep hands the event to another).
    claimed_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "dedup_key"], name="chat_inbound_unique_dedup_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(processed_at__isnull=True),
                name="chat_inbound_pending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.kind}:{self.dedup_key}"

    @property
    def event(self) -> InboundEvent:
        """The event as the platform handed it over."""
        return InboundEvent(
            platform=self.platform,
            dedup_key=self.dedup_key,
            kind=self.kind,  # type: ignore[arg-type]  # stored from an InboundEvent's kind
            conversation=self.conversation,
            actor=self.actor,
            occurred_at=self.occurred_at,
            **self.details,
        )


# A conversation row whose conversation is being created holds this (and the incident's id)
# instead of the platform's id (see conversations.conversation_open).
PENDING_CONVERSATION = "~opening~"


class IncidentConversation(models.Model):
    """The incident's own conversation on a platform (a Slack channel, a Matrix room)."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="chat_conversations"
    )
    platform = models.CharField(max_length=KIND_LENGTH)
    conversation = models.CharField(max_length=REF_LENGTH, help_text="The platform's id.")
    name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)
    # The transcript is kept from the first message; these say when it was closed with the
    # incident, and when the retention period removed it (pinned entries stay on the timeline).
    transcript_closed_at = models.DateTimeField(null=True, blank=True)
    transcript_purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["incident", "platform"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "platform"], name="chat_conversation_one_per_platform"
            ),
            models.UniqueConstraint(
                fields=["platform", "conversation"], name="chat_conversation_unique_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.name or self.conversation}"


class Announcement(models.Model):
    """The incident's headline message in the announcements conversation, updated in place on
    every change (never posted again)."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="chat_announcements"
    )
    platform = models.CharField(max_length=KIND_LENGTH)
    conversation = models.CharField(max_length=REF_LENGTH)
    # The platform's message id; empty while the first post is under way (the worker that
    # set `claimed_at` posts it, others wait for it).
    message = models.CharField(max_length=REF_LENGTH, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    posted_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "platform"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "platform"], name="chat_announcement_one_per_platform"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.platform}:{self.conversation}/{self.message}"


class ChatMessage(models.Model):
    """A message in an incident's conversation, captured as it arrived (the transcript): no
    platform's history has to be read back later."""

    conversation = models.ForeignKey(
        IncidentConversation, on_delete=models.CASCADE, related_name="messages"
    )
    message = models.CharField(max_length=REF_LENGTH, help_text="The platform's message id.")
    author = models.CharField(max_length=REF_LENGTH, help_text="The platform's user id.")
    author_name = models.CharField(max_length=200, blank=True)
    text = models.TextField()
    posted_at = models.DateTimeField()
    pinned = models.BooleanField(default=False)
    # The timeline entry its pin made (kept when the transcript is purged).
    entry = models.ForeignKey(
        "incidents.TimelineEntry", on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        ordering = ["posted_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["conversation", "message"], name="chat_message_unique_per_conversation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.conversation}:{self.message}"


class Cursor(models.Model):
    """Where a platform read up to (Matrix's `next_batch`), so a restart reads on from there."""

    platform = models.CharField(max_length=KIND_LENGTH, unique=True)
    value = models.CharField(max_length=REF_LENGTH * 4, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.platform}@{self.value}"


class Checkin(models.Model):
    """`checkin <interval>`: the bot reminds the incident's conversation and its lead of the
    next check-in, every `interval`, until the incident is resolved."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="chat_checkin"
    )
    interval = models.DurationField()
    next_at = models.DateTimeField()
    set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"check-in every {self.interval} for {self.incident_id}"


class ChatSettings(models.Model):
    """What an admin sets for chat (one row)."""

    # How long a closed incident's transcript is kept; None keeps it forever.
    transcript_retention_days = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name_plural = "chat settings"

    def __str__(self) -> str:
        days = self.transcript_retention_days
        return f"transcripts kept {'forever' if days is None else f'{days} days'}"

    @classmethod
    def current(cls) -> "ChatSettings":
        return cls.objects.order_by("pk").first() or cls()


class ChatFailure(models.Model):
    """Chat work done after an incident's change (opening, inviting, archiving, unarchiving)
    that the platform refused for good: kept for the chat admin page, as the failed deliveries
    are on the deliveries page."""

    platform = models.CharField(max_length=KIND_LENGTH)
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    what = models.CharField(max_length=300)
    code = models.CharField(max_length=REF_LENGTH, blank=True)
    message = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.platform}: {self.what}: {self.code or self.message}"

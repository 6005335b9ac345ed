"""The public side: what was published about incidents and maintenance, and the page itself.

Nothing here is derived from internal fields at render time; every public word is stored here
when someone publishes it."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidentdesk.core.ids import new_public_id
from incidentdesk.incidents.models import Component, ComponentStatus, Incident


class PublicStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    POSTMORTEM = "postmortem", "Postmortem"
    # Scheduled maintenance
    SCHEDULED = "scheduled", "Scheduled"
    IN_PROGRESS = "in_progress", "In progress"
    VERIFYING = "verifying", "Verifying"
    COMPLETED = "completed", "Completed"


INCIDENT_STATUSES = ("investigating", "identified", "monitoring", "resolved", "postmortem")
MAINTENANCE_STATUSES = ("scheduled", "in_progress", "verifying", "completed")
UNRESOLVED_STATUSES = ("investigating", "identified", "monitoring")
FINISHED_STATUSES = ("resolved", "postmortem", "completed")


class Impact(models.TextChoices):
    NONE = "none", "None"
    MINOR = "minor", "Minor"
    MAJOR = "major", "Major"
    CRITICAL = "critical", "Critical"
    MAINTENANCE = "maintenance", "Maintenance"


class PublicIncidentQuerySet(models.QuerySet):
    def incidents(self):
        return self.filter(is_maintenance=False)

    def maintenances(self):
        return self.filter(is_maintenance=True)

    def unresolved(self):
        return self.filter(is_maintenance=False, status__in=UNRESOLVED_STATUSES)

    def with_details(self):
        """With what pages, messages and the API read of each publication, in two queries:
        its updates newest first, its affected components (and their groups) in page order."""
        return self.prefetch_related(
            models.Prefetch(
                "updates", queryset=PublicUpdate.objects.order_by("-display_at", "-id")
            ),
            models.Prefetch(
                "affected",
                queryset=AffectedComponent.objects.select_related("component__group").order_by(
                    "component__position", "component__name"
                ),
            ),
        )

    def with_incident_seen_by(self, user):
        """Each publication's internal incident as `seen_incident`, or None where `user` may
        not see it (a restricted incident they take no part in, see
        `IncidentQuerySet.visible_to`): the publication is public, the way to the incident
        behind it is not."""
        return self.prefetch_related(
            models.Prefetch(
                "incident",
                queryset=Incident.objects.visible_to(user),
                to_attr="seen_incident",
            )
        )


class PublicIncident(models.Model):
    """A publication: an internal incident as users are told about it, or scheduled maintenance.
    Maintenance is a public incident with `is_maintenance` and scheduled times, as in
    Statuspage's model."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    incident = models.OneToOneField(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="publication"
    )
    is_maintenance = models.BooleanField(default=False)
    name = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=PublicStatus.choices)
    impact = models.CharField(max_length=16, choices=Impact.choices, default=Impact.NONE)
    impact_override = models.CharField(max_length=16, choices=Impact.choices, blank=True)
    workaround = models.TextField(blank=True)
    workaround_url = models.URLField(max_length=500, blank=True)
    notify_subscribers = models.BooleanField(default=True)
    remind_enabled = models.BooleanField(default=True)
    remind_interval_minutes = models.PositiveIntegerField(default=60)
    last_reminded_at = models.DateTimeField(null=True, blank=True)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    scheduled_until = models.DateTimeField(null=True, blank=True)
    scheduled_auto_transition = models.BooleanField(
        default=True, help_text="Start and complete at the scheduled times."
    )
    scheduled_remind_prior = models.BooleanField(
        default=True, help_text="Tell subscribers ahead of time."
    )
    scheduled_reminded_at = models.DateTimeField(null=True, blank=True)
    postmortem_body = models.TextField(blank=True)
    postmortem_published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(default=timezone.now)
    monitoring_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(default=timezone.now)

    objects = PublicIncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["is_maintenance", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def is_resolved(self) -> bool:
        return self.status in FINISHED_STATUSES


class AffectedComponent(models.Model):
    """A component a publication affects, and the status the publication gave it."""

    public_incident = models.ForeignKey(
        PublicIncident, on_delete=models.CASCADE, related_name="affected"
    )
    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=24, choices=ComponentStatus.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["public_incident", "component"], name="one_row_per_affected_component"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component_id}: {self.status}"


class PublicUpdate(models.Model):
    """One message posted to the public about a publication."""

    public_id = models.CharField(max_length=16, unique=True, default=new_public_id, editable=False)
    public_incident = models.ForeignKey(
        PublicIncident, on_delete=models.CASCADE, related_name="updates"
    )
    status = models.CharField(max_length=16, choices=PublicStatus.choices)
    body = models.TextField()
    affected_components = models.JSONField(default=list, blank=True)
    deliver_notifications = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    display_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-display_at", "-id"]

    def __str__(self) -> str:
        return f"{self.status}: {self.body[:40]}"


class ComponentStatusChange(models.Model):
    """A span of time a component spent in one public status; the uptime history."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="status_spans")
    status = models.CharField(max_length=24, choices=ComponentStatus.choices)
    started_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    public_incident = models.ForeignKey(
        PublicIncident, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["component"], condition=Q(ended_at__isnull=True), name="one_open_span"
            )
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.status} from {self.started_at}"


class ComponentDay(models.Model):
    """One component's day in the reporting time zone: seconds spent in each non-operational
    status and the publications that touched it. Stored when statuses change, so the page's
    90-day bars never recompute history per request."""

    component = models.ForeignKey(Component, on_delete=models.CASCADE, related_name="days")
    date = models.DateField()
    degraded_seconds = models.PositiveIntegerField(default=0)
    partial_outage_seconds = models.PositiveIntegerField(default=0)
    major_outage_seconds = models.PositiveIntegerField(default=0)
    maintenance_seconds = models.PositiveIntegerField(default=0)
    incidents = models.JSONField(default=list, blank=True, help_text="[{id, name}]")

    class Meta:
        ordering = ["component", "date"]
        constraints = [
            models.UniqueConstraint(fields=["component", "date"], name="one_day_per_component")
        ]

    def __str__(self) -> str:
        return f"{self.component_id} {self.date}"


class BannerKind(models.TextChoices):
    INFO = "info", "Information"
    MAINTENANCE = "maintenance", "Maintenance"
    READ_ONLY = "read_only", "Read-only"


class PageSettings(models.Model):
    """The one status page's settings and site-wide banner (a single row, pk=1)."""

    name = models.CharField(max_length=100, default="Status")
    page_id = models.CharField(max_length=16, default=new_public_id, editable=False)
    banner_active = models.BooleanField(default=False)
    banner_kind = models.CharField(
        max_length=16, choices=BannerKind.choices, default=BannerKind.INFO
    )
    banner_message = models.CharField(max_length=500, blank=True)
    banner_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The logo's bytes live in PageLogo (read only when rendering); here what the pages need to
    # show it: its format (empty: no logo), its size and a short hash that changes with it.
    logo_format = models.CharField(max_length=8, blank=True)
    logo_width = models.PositiveIntegerField(default=0)
    logo_height = models.PositiveIntegerField(default=0)
    logo_version = models.CharField(max_length=16, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.name

    @classmethod
    def load(cls) -> "PageSettings":
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def logo_path(self) -> str:
        """Where the public site serves the logo (`/logo.png`, …), or '' without one."""
        return f"/logo.{LOGO_SUFFIXES[self.logo_format]}" if self.logo_format else ""

    @property
    def logo_url(self) -> str:
        """The logo's address with its version, so a new logo is never read from a cache."""
        return f"{self.logo_path}?v={self.logo_version}" if self.logo_format else ""


# A logo's format: its file suffix and the content type it is served with.
LOGO_SUFFIXES = {"png": "png", "jpeg": "jpg", "webp": "webp"}
LOGO_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}


class PageLogo(models.Model):
    """The status page's logo (a single row, pk=1), as re-encoded when it was uploaded: never
    the uploaded bytes themselves, never fetched from anywhere."""

    image = models.BinaryField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"logo of {len(self.image)} bytes"


class PublicDocument(models.Model):
    """A rendered public file (HTML page, v2 JSON, feed), stored when data changes and served
    as it is, with its ETag, by every web process."""

    path = models.CharField(max_length=200, unique=True)
    content_type = models.CharField(max_length=100)
    body = models.BinaryField()
    etag = models.CharField(max_length=80)
    version = models.PositiveBigIntegerField(default=0, db_index=True)
    rendered_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.path


class RenderFailure(models.Model):
    """A public document that failed to render. While `failing`, the site keeps serving the
    document's last good version and admins see the error on the status page screen; the
    next render that succeeds clears it. `failures` only grows (it is /metrics' counter)."""

    path = models.CharField(max_length=200, unique=True)
    failing = models.BooleanField(default=True, db_index=True)
    error = models.CharField(max_length=500, help_text="The last failure, in one line.")
    since = models.DateTimeField(default=timezone.now, help_text="First failure of this run.")
    failed_at = models.DateTimeField(default=timezone.now, help_text="The last failure.")
    failures = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.path}: {self.error}"


class SubscriberKind(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class SubscriberQuerySet(models.QuerySet):
    def active(self):
        return self.filter(confirmed_at__isnull=False, unsubscribed_at__isnull=True)


class Subscriber(models.Model):
    """Someone outside the team who asked to be told about the status page's changes.
    With no components chosen they hear about everything. Their kind is the notification
    channel kind their messages travel by."""

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
        # The name it had when subscribers lived in `notifications`.
        indexes = [
            models.Index(fields=["kind", "confirmed_at"], name="notificatio_kind_426078_idx")
        ]

    def __str__(self) -> str:
        return self.email or self.url

    @property
    def address(self) -> str:
        return self.email or self.url


class SubscribeAttempt(models.Model):
    """Recent self-service subscriptions by address, for the per-IP rate limit."""

    ip = models.GenericIPAddressField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self) -> str:
        return f"{self.ip} at {self.created_at}"

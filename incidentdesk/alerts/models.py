"""Integrations (where alerts come in), alert groups and the alerts in them."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.crypto import salted_hmac


class IntegrationKind(models.TextChoices):
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GRAFANA = "grafana", "Grafana alerting"
    PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
    GENERIC = "generic", "Generic JSON"
    EMAIL = "email", "Email reports"


class Integration(models.Model):
    """A door alerts come in through. Its key is shown once: only its first characters
    (`key_id`, public, in listings) and the SHA-256 digest of the whole key are stored."""

    kind = models.CharField(max_length=16, choices=IntegrationKind.choices)
    name = models.CharField(max_length=100)
    key_id = models.CharField(max_length=16, unique=True, help_text="The key's first characters.")
    digest = models.CharField(max_length=64)
    # Grafana only: whether requests must carry an HMAC-SHA256 signature. The signing secret
    # is not stored: it is derived from SECRET_KEY and the key id (`signing_secret()`), so it
    # can be recomputed to verify while the database holds nothing that reveals it.
    signed = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.kind}, {self.key_id}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def signing_secret(self) -> str:
        """The HMAC secret Grafana signs with ("" when the integration is not signed). Changing
        SECRET_KEY changes it: the admin then pastes the new one into Grafana."""
        if not self.signed:
            return ""
        return salted_hmac("incidentdesk.alerts.grafana-signing", self.key_id).hexdigest()


class GroupStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    RESOLVED = "resolved", "Resolved"


class AlertGroup(models.Model):
    """The alerts of one group key while it is open: at most one open group per
    (integration, group key), so every repeat and every HA twin joins the same group."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="groups")
    group_key = models.TextField()
    # SHA-256 of group_key: Alertmanager's group keys can be longer than an index entry holds.
    group_digest = models.CharField(max_length=64)
    status = models.CharField(
        max_length=16, choices=GroupStatus.choices, default=GroupStatus.FIRING
    )
    summary = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=32, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    first_seen_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    alert_count = models.PositiveIntegerField(default=0)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="alert_groups",
    )
    # When routing last acted on the group (null: opened or re-opened and not routed yet; the
    # sweep in alerts.tasks routes such a group if its queued task was lost).
    routed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["integration", "group_digest"],
                condition=~Q(status="resolved"),
                name="alerts_one_open_group_per_key",
            )
        ]
        indexes = [
            models.Index(fields=["integration", "group_digest", "-resolved_at"]),
            models.Index(
                fields=["first_seen_at"],
                condition=Q(routed_at__isnull=True),
                name="alerts_group_unrouted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.summary or self.group_key} ({self.status})"


class Alert(models.Model):
    """One alert of a group, by its key (fingerprint, dedup_key); a repeat counts, not adds."""

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts")
    key = models.CharField(max_length=255)
    status = models.CharField(max_length=16, choices=GroupStatus.choices)
    summary = models.CharField(max_length=500, blank=True)
    severity = models.CharField(max_length=32, blank=True)
    starts_at = models.DateTimeField(null=True, blank=True)
    ends_at = models.DateTimeField(null=True, blank=True)
    labels = models.JSONField(default=dict, blank=True)
    annotations = models.JSONField(default=dict, blank=True)
    source_url = models.CharField(max_length=2000, blank=True)
    details = models.JSONField(default=dict, blank=True)
    first_received_at = models.DateTimeField()
    last_received_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=1)
    # SHA-256 of the content above as last received (alerts.rows.incoming), so a resend
    # is told from a change by one column; "" after a change by hand (the next one rewrites).
    content_digest = models.CharField(max_length=64, blank=True, default="")

    class Meta:
        ordering = ["first_received_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["group", "key"], name="alerts_one_alert_per_key")
        ]

    def __str__(self) -> str:
        return f"{self.summary or self.key} ({self.status})"


class RouteAction(models.TextChoices):
    RECORD = "record", "Only record"
    DECLARE = "declare", "Declare an incident"
    ATTACH = "attach", "Attach to an open incident"


class Route(models.Model):
    """What to do with a newly opened alert group whose labels match: routes are data, tried
    by `position` (the first match wins); an integration's own routes and the routes of all
    integrations (`integration` null) are tried together. See `alerts.routes`."""

    integration = models.ForeignKey(
        Integration, on_delete=models.CASCADE, null=True, blank=True, related_name="routes"
    )
    position = models.PositiveIntegerField(default=0)
    name = models.CharField(max_length=100, blank=True)
    # [{"label": ..., "op": "=" | "!=" | "=~" | "!~", "value": ...}], all must hold.
    matchers = models.JSONField(default=list, blank=True)
    action = models.CharField(
        max_length=16, choices=RouteAction.choices, default=RouteAction.RECORD
    )
    severity = models.ForeignKey(
        "incidents.Severity", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    components = models.ManyToManyField("incidents.Component", blank=True, related_name="+")
    # Page when the route matches: by `policy`, else by the default escalation policy.
    pages = models.BooleanField(default=False)
    policy = models.ForeignKey(
        "oncall.EscalationPolicy",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who created or last changed the route: it acts with their rights (the intake has no person).
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.position}: {self.name or self.action}"


# Reports by email ------------------------------------------------------------------------


class ReportStatus(models.TextChoices):
    NEW = "new", "New"
    DECLARED = "declared", "Declared"
    ATTACHED = "attached", "Attached"
    DISMISSED = "dismissed", "Dismissed"


class Report(models.Model):
    """A message someone sent to the help address, waiting in the triage queue until someone
    who may declare incidents declares one from it, attaches it to an open one, or dismisses
    it. Its reference (`R-<id>`) is in the acknowledgement the sender gets, so their replies
    find it. Attachments are listed (name, type, size), never kept."""

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="reports")
    sender_name = models.CharField(max_length=200, blank=True)
    sender_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    message_id = models.TextField()
    # SHA-256 of message_id: one report per message, however often it is delivered.
    message_digest = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    # Why no acknowledgement went back ("" when one did): a machine sent it, for instance.
    automatic = models.CharField(max_length=200, blank=True)
    acknowledgement_id = models.TextField(blank=True)
    acknowledgement_digest = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=ReportStatus.choices, default=ReportStatus.NEW)
    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="email_reports",
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    dismiss_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        indexes = [models.Index(fields=["status", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        return f"R-{self.pk}"


class ReportReply(models.Model):
    """A later message of a report's thread (a reply to it or to its acknowledgement). While
    the report is in triage it is shown with it; once the report became or joined an incident,
    it is on that incident's timeline too."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="replies")
    sender_name = models.CharField(max_length=200, blank=True)
    sender_address = models.CharField(max_length=254)
    subject = models.CharField(max_length=500, blank=True)
    text = models.TextField(blank=True)
    attachments = models.JSONField(default=list, blank=True)
    message_id = models.TextField()
    message_digest = models.CharField(max_length=64, unique=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField()
    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["received_at", "pk"]
        verbose_name_plural = "report replies"

    def __str__(self) -> str:
        return f"reply to R-{self.report_id}"

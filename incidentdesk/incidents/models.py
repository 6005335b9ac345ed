from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from incidentdesk.core.sources import ActionSource


class Severity(models.Model):
    """An ordered severity level and the policy that comes with it (position 1 is the worst)."""

    key = models.SlugField(max_length=32, unique=True)
    name = models.CharField(max_length=64)
    position = models.PositiveSmallIntegerField(unique=True)
    aliases = models.CharField(
        max_length=200, blank=True, help_text="Comma-separated other names, e.g. sev1, p1."
    )
    description = models.CharField(max_length=300, blank=True)
    pages = models.BooleanField(default=False, help_text="Page the on-call responders.")
    reminder_interval_minutes = models.PositiveIntegerField(default=60)
    postmortem_required = models.BooleanField(default=True)
    action_due_days = models.PositiveIntegerField(default=30)
    opens_chat_channel = models.BooleanField(
        default=False, help_text="Open the incident's own chat channel when declared."
    )

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "severities"

    def __str__(self) -> str:
        return self.name

    @property
    def alias_list(self) -> list[str]:
        return [a.strip() for a in self.aliases.split(",") if a.strip()]


class ComponentStatus(models.TextChoices):
    """A component's public status (the Statuspage enum)."""

    OPERATIONAL = "operational", "Operational"
    DEGRADED_PERFORMANCE = "degraded_performance", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    UNDER_MAINTENANCE = "under_maintenance", "Under maintenance"


class Component(models.Model):
    """A part of the service users can see; optionally inside a group (one level deep).
    Its `status` is public: shown on the status page exactly as set."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    group = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"group__isnull": True},
    )
    position = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=24, choices=ComponentStatus.choices, default=ComponentStatus.OPERATIONAL
    )
    public_id = models.CharField(max_length=16, unique=True, null=True, editable=False)
    showcase = models.BooleanField(default=True, help_text="Shown on the public page.")
    only_show_if_degraded = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self) -> str:
        return f"{self.group.name} / {self.name}" if self.group else self.name


class IncidentStatus(models.TextChoices):
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    BLOCKED = "blocked", "Blocked"
    CLOSED_BLOCKED = "closed_blocked", "Closed while blocked"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
    IncidentStatus.BLOCKED,
)


class IncidentKind(models.TextChoices):
    LIVE = "live", "Live"
    RETROSPECTIVE = "retrospective", "Retrospective"


class Detection(models.TextChoices):
    PROACTIVE = "proactive", "Proactive (found by us or our monitoring)"
    REACTIVE = "reactive", "Reactive (reported by a customer)"


class ReportMedium(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    PHONE = "phone", "Phone"
    ISSUE = "issue", "Issue tracker"
    MONITORING = "monitoring", "Monitoring alert"
    OTHER = "other", "Other"


class Criterion(models.TextChoices):
    IMMEDIATE_RESPONSE = "immediate_response", "Needs an immediate response to restore service"
    DEGRADED_EXPERIENCE = "degraded_experience", "Severely degrades users' experience"
    SECURITY = "security", "Compromises security (a breach or a possible one)"
    DATA_LOSS = "data_loss", "Data may be lost or exposed"
    MULTIPLE_USERS = "multiple_users", "Affects, or may affect, at least two users"


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)

    def visible_to(self, user):
        """The incidents `user` may see: every unrestricted one, and a restricted one (a
        security incident is always restricted) only when they take part in it (a current
        role, an open seat at its desk, an open invitation) or see every incident (admins and
        the security group, see `accounts.permissions.sees_every_incident`). Nobody signed in
        sees no restricted incident."""
        from incidentdesk.accounts.permissions import security_group_member, sees_every_incident

        unrestricted = Q(restricted=False)
        if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
            return self.filter(unrestricted)
        if not user.is_active:
            return self.filter(unrestricted | taking_part(user))
        if sees_every_incident(user, ask_groups=False):
            return self
        # The group is asked inside the same query: a list costs no extra round trip.
        return self.filter(unrestricted | taking_part(user) | security_group_member(user))


class Incident(models.Model):
    reference = models.CharField(max_length=20, unique=True)
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    impact = models.TextField(blank=True, help_text="What users see.")
    severity = models.ForeignKey(Severity, on_delete=models.PROTECT, related_name="incidents")
    status = models.CharField(
        max_length=16, choices=IncidentStatus.choices, default=IncidentStatus.INVESTIGATING
    )
    kind = models.CharField(max_length=16, choices=IncidentKind.choices, default=IncidentKind.LIVE)
    security = models.BooleanField(default=False)
    restricted = models.BooleanField(
        default=False,
        help_text="Seen only by the people taking part, admins and the security group. "
        "A security incident is always restricted.",
    )
    criteria = models.JSONField(default=list, blank=True)
    criteria_reason = models.TextField(blank=True)
    components = models.ManyToManyField(Component, blank=True, related_name="incidents")
    users_affected_count = models.PositiveIntegerField(null=True, blank=True)
    users_affected_description = models.CharField(max_length=500, blank=True)
    detection = models.CharField(max_length=16, choices=Detection.choices, blank=True)
    reported_by = models.CharField(max_length=200, blank=True)
    report_medium = models.CharField(max_length=16, choices=ReportMedium.choices, blank=True)

    cause_change_url = models.URLField(max_length=500, blank=True)
    fix_change_urls = models.JSONField(default=list, blank=True)
    tracker_url = models.URLField(max_length=500, blank=True)
    call_url = models.URLField(max_length=500, blank=True)
    chat_url = models.URLField(max_length=500, blank=True)

    started_at = models.DateTimeField(null=True, blank=True)
    detected_at = models.DateTimeField(null=True, blank=True)
    declared_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    blocked_until = models.DateField(null=True, blank=True)
    status_reason = models.TextField(blank=True, help_text="Why it was blocked or re-opened.")
    postmortem_waiver_reason = models.TextField(blank=True)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IncidentQuerySet.as_manager()

    # Present only where the selectors prefetched it (`to_attr`): the roles not yet ended.
    current_roles: list["RoleAssignment"]
    # Present only where the selectors loaded them (selectors.open_desk_seats and
    # selectors.with_answer_parts): the open desk seats, the components' names.
    open_desk_seats: list["DeskSeat"]
    component_names: list[str]

    class Meta:
        ordering = ["-declared_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["year", "number"], name="incident_year_number_unique"),
            models.CheckConstraint(
                condition=Q(security=False) | Q(restricted=True),
                name="security_incident_is_restricted",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "severity"]),
            # Reports and lists filter and sort by declaration time; insights read these
            # columns of every incident in a period, from the index alone.
            models.Index(
                fields=[
                    "declared_at",
                    "severity",
                    "status",
                    "detection",
                    "started_at",
                    "detected_at",
                    "resolved_at",
                ],
                name="incident_declared_figures",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


def taking_part(user) -> Q:
    """The incidents `user` takes part in now: a current role, an open desk seat or an open
    invitation. (A role handed over or released, a seat left at resolution and an invitation
    withdrawn no longer count: access to a restricted incident can be taken away.)"""
    roles = RoleAssignment.objects.filter(user=user, ended_at__isnull=True)
    seats = DeskSeat.objects.filter(user=user, left_at__isnull=True)
    invited = Invitation.objects.filter(user=user, ended_at__isnull=True)
    return (
        Q(pk__in=roles.values("incident_id"))
        | Q(pk__in=seats.values("incident_id"))
        | Q(pk__in=invited.values("incident_id"))
    )


class ReferenceCounter(models.Model):
    """The last incident number used in a year; locked row by row to hand out numbers."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class IncidentRole(models.TextChoices):
    REPORTER = "reporter", "Reporter"
    LEAD = "lead", "Lead"
    SCRIBE = "scribe", "Scribe"
    COMMS_LEAD = "comms_lead", "Communications lead"
    ASSIGNEE = "assignee", "Assignee"
    DECISION_MAKER = "decision_maker", "Decision-maker"


class RoleAssignment(models.Model):
    """One person holding one role on one incident for a span of time."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="role_history")
    role = models.CharField(max_length=16, choices=IncidentRole.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["started_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "role"],
                condition=Q(ended_at__isnull=True) & ~Q(role="assignee"),
                name="one_current_holder_per_single_role",
            ),
            models.UniqueConstraint(
                fields=["incident", "role", "user"],
                condition=Q(ended_at__isnull=True),
                name="one_current_assignment_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.user_id} on {self.incident_id}"


class DeskSeat(models.Model):
    """A person on an incident's desk: told about its changes. Assignees sit here while assigned
    and leave when the incident is resolved."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="desk_seats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    joined_at = models.DateTimeField(default=timezone.now)
    left_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user"],
                condition=Q(left_at__isnull=True),
                name="one_open_desk_seat_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"desk seat of {self.user_id} on {self.incident_id}"


class Invitation(models.Model):
    """A person asked into a restricted incident: while the invitation is open they see it as
    the people holding its roles do. Withdrawing it ends their access (the row is kept)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="invitations")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "user"],
                condition=Q(ended_at__isnull=True),
                name="one_open_invitation_per_person",
            )
        ]

    def __str__(self) -> str:
        return f"invitation of {self.user_id} to {self.incident_id}"


class EntryKind(models.TextChoices):
    EVENT = "event", "Event"
    DISCUSSION = "discussion", "Discussion"
    DECISION = "decision", "Decision"
    ACTION = "action", "Action"
    RESULT = "result", "Result"
    NOTE = "note", "Note"
    STATUS_CHANGE = "status_change", "Status change"
    ROLE_CHANGE = "role_change", "Role change"
    FIELD_CHANGE = "field_change", "Field change"
    PUBLIC_UPDATE = "public_update", "Public update"
    ALERT = "alert", "Alert"
    CHAT_MESSAGE = "chat_message", "Chat message"


# Kinds people write by hand; the others are recorded by the system as changes happen.
AUTHORED_KINDS = (
    EntryKind.EVENT,
    EntryKind.DISCUSSION,
    EntryKind.DECISION,
    EntryKind.ACTION,
    EntryKind.RESULT,
    EntryKind.NOTE,
)


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal"
    PUBLIC = "public", "Public"


class TimelineEntry(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=8, choices=ActionSource.choices)
    occurred_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    body = models.TextField()
    data = models.JSONField(default=dict, blank=True, help_text="Structured detail of a change.")
    pinned = models.BooleanField(default=False)
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    edited_at = models.DateTimeField(null=True, blank=True)
    recorded_by_system = models.BooleanField(
        default=False, help_text="Written by a service as a change happened; never edited."
    )

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["incident", "occurred_at"])]
        verbose_name_plural = "timeline entries"

    def __str__(self) -> str:
        return f"{self.kind}: {self.body[:40]}"

    @property
    def is_editable(self) -> bool:
        return not self.recorded_by_system and self.kind in AUTHORED_KINDS


class TimelineRevision(models.Model):
    """The text an entry had before an edit; entries are never silently rewritten."""

    entry = models.ForeignKey(TimelineEntry, on_delete=models.CASCADE, related_name="revisions")
    body = models.TextField()
    replaced_at = models.DateTimeField(default=timezone.now)
    replaced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["replaced_at", "id"]

    def __str__(self) -> str:
        return f"revision of entry {self.entry_id}"


class ActionPhase(models.TextChoices):
    RESPONSE = "response", "Response (during the incident)"
    FOLLOW_UP = "follow_up", "Follow-up (after it)"


class ActionCategory(models.TextChoices):
    PREVENT = "prevent", "Prevent"
    MITIGATE = "mitigate", "Mitigate"
    DETECT = "detect", "Detect"
    PROCESS = "process", "Process"


class ActionPriority(models.TextChoices):
    HIGH = "high", "High"
    MEDIUM = "medium", "Medium"
    LOW = "low", "Low"


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    DONE = "done", "Done"
    WONT_DO = "wont_do", "Won't do"


class ActionItemQuerySet(models.QuerySet):
    def pending(self):
        return self.filter(status__in=[ActionStatus.OPEN, ActionStatus.IN_PROGRESS])

    def overdue(self, today=None):
        return self.pending().filter(due_date__lt=today or timezone.localdate())


class ActionItem(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="actions")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    phase = models.CharField(
        max_length=16, choices=ActionPhase.choices, default=ActionPhase.RESPONSE
    )
    category = models.CharField(max_length=16, choices=ActionCategory.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    due_date = models.DateField(null=True, blank=True)
    priority = models.CharField(
        max_length=8, choices=ActionPriority.choices, default=ActionPriority.MEDIUM
    )
    status = models.CharField(
        max_length=16, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    wont_do_reason = models.TextField(blank=True)
    external_url = models.URLField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    objects = ActionItemQuerySet.as_manager()

    class Meta:
        ordering = ["status", "due_date", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )


class LiveVersion(models.Model):
    """How many times what an incident's pages show has changed: the number an open page polls
    to know whether to refresh (incidents/live.py moves it with every write). Keyed by the
    incident's id without a foreign key, so the last writes of an incident being deleted never
    trip a constraint; a deleted incident's row is left behind, harmless."""

    incident_id = models.BigIntegerField(primary_key=True)
    version = models.PositiveBigIntegerField(default=0)
    # The version of the last change that was more than new timeline entries: a page at this
    # version or later only needs the entries written since (the cheap answer of a busy page).
    whole_version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"incident {self.incident_id}: version {self.version}"

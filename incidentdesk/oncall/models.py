"""On-call schedules: layers that rotate through people, and overrides on top of them.

Times of a layer (its first hand-off, the hand-off time, restriction windows) are wall-clock
times in the schedule's time zone; overrides are instants (timezone-aware, stored in UTC).
Who is on call at an instant is computed by `oncall.resolution.on_call_at`.
"""

from django.conf import settings
from django.db import models


class Schedule(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, help_text="An IANA name, e.g. Europe/Berlin.")
    description = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.time_zone})"


class RotationUnit(models.TextChoices):
    HOURS = "hours", "Hours"  # counted in elapsed time
    DAYS = "days", "Days"  # counted on the wall clock: a hand-off keeps its local time
    WEEKS = "weeks", "Weeks"  # likewise


class Layer(models.Model):
    """One rotation. `people` is the ordered list of user ids that take turns; the first
    turn starts at `rotation_start` + `handoff_time` (local), and each lasts `rotation_length`
    `rotation_unit`s. `restrictions` is a list of windows `{"weekday": 1..7 (ISO, Monday 1),
    "start": "HH:MM", "end": "HH:MM"}` in local time; when there are any, the layer has someone
    only inside one of them. A higher `position` overrides lower ones where it has someone."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="layers")
    position = models.PositiveIntegerField()
    name = models.CharField(max_length=100, blank=True)
    people = models.JSONField(default=list)
    rotation_start = models.DateField()
    handoff_time = models.TimeField()
    rotation_length = models.PositiveIntegerField(default=1)
    rotation_unit = models.CharField(
        max_length=8, choices=RotationUnit.choices, default=RotationUnit.DAYS
    )
    restrictions = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["schedule", "-position"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "position"], name="oncall_layer_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.schedule.name} layer {self.position}"


class Override(models.Model):
    """`user` is on call for `schedule` from `start` (inclusive) to `end` (exclusive),
    whatever the layers say."""

    schedule = models.ForeignKey(Schedule, on_delete=models.CASCADE, related_name="overrides")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "pk"]
        indexes = [models.Index(fields=["schedule", "start", "end"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.schedule.name} {self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M}"


# --- Paging: how people are reached, escalation policies, pages -------------------------------


class ContactKind(models.TextChoices):
    EMAIL = "email", "Email"
    NTFY = "ntfy", "ntfy push"
    WEBHOOK = "webhook", "Webhook"
    CHAT = "chat", "Chat direct message"
    SMS = "sms", "SMS"
    VOICE = "voice", "Voice call"
    APPRISE = "apprise", "Apprise URL"


class ContactMethod(models.Model):
    """One way to reach a person when they are paged; a page goes to all of a person's
    methods, lowest `position` first. `address` is what the kind sends to: an email address,
    an ntfy topic URL, a webhook URL, a chat address (`<platform>:<chat user id>`), a phone
    number in E.164 form (SMS, voice) or an Apprise URL."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_methods"
    )
    position = models.PositiveIntegerField()
    kind = models.CharField(max_length=16, choices=ContactKind.choices)
    address = models.CharField(max_length=1000)
    label = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["user", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "position"], name="oncall_contact_position_unique"
            ),
            models.UniqueConstraint(
                fields=["user", "kind", "address"], name="oncall_contact_address_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.label or self.address}"


class EscalationPolicy(models.Model):
    """Ordered steps tried until someone acknowledges; the whole list runs `repeat` more times
    when nobody does. At most one policy is the default: the one "page the on-call lead", the
    severity policy's `pages` flag and routes without a policy of their own use."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    repeat = models.PositiveSmallIntegerField(default=0)
    is_default = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=models.Q(is_default=True),
                name="oncall_one_default_policy",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StepTarget(models.TextChoices):
    PERSON = "person", "A person"
    SCHEDULE = "schedule", "Who is on call in a schedule"
    SCHEDULE_ALL = "schedule_all", "Everyone in a schedule"
    POLICY = "policy", "Hand over to another policy"


class EscalationStep(models.Model):
    """Notify the target, then wait `wait_minutes` for an acknowledgement before the next
    step. A `policy` target continues with that policy's steps (loops are refused)."""

    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    target = models.CharField(max_length=16, choices=StepTarget.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    schedule = models.ForeignKey(
        Schedule, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handover = models.ForeignKey(
        EscalationPolicy, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    wait_minutes = models.PositiveIntegerField(default=5)

    class Meta:
        ordering = ["policy", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["policy", "position"], name="oncall_step_position_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy.name} step {self.position}: {self.target}"


class PageStatus(models.TextChoices):
    OPEN = "open", "Escalating"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    EXHAUSTED = "exhausted", "Nobody acknowledged"
    CANCELLED = "cancelled", "Cancelled"


class Page(models.Model):
    """A request for someone to respond. Its escalation state lives here and is advanced by
    a periodic task (`next_at`: when the next step is due; `step` and `round` say which), so
    a restarted worker continues where the last one stopped. `plan` is the policy's steps as
    they were when the page was made (handovers expanded), so editing a policy does not move
    a page that is already escalating."""

    incident = models.ForeignKey(
        "incidents.Incident",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="pages",
    )
    policy = models.ForeignKey(
        EscalationPolicy, on_delete=models.SET_NULL, null=True, blank=True, related_name="pages"
    )
    summary = models.CharField(max_length=300)
    message = models.TextField(blank=True)
    link = models.CharField(max_length=2000, blank=True)
    # [{"target": ..., "user": id?, "schedule": id?, "wait_minutes": n}, ...]
    plan = models.JSONField(default=list)
    repeat = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=16, choices=PageStatus.choices, default=PageStatus.OPEN)
    step = models.PositiveIntegerField(default=0)  # the next step of `plan` to run
    round = models.PositiveIntegerField(default=0)  # 0: the first pass through the plan
    next_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    source = models.CharField(max_length=16)
    created_at = models.DateTimeField(auto_now_add=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_source = models.CharField(max_length=16, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What the last step did, in words (shown to admins, above all when nobody acknowledged).
    outcome = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["status", "next_at"])]

    def __str__(self) -> str:
        return f"page {self.pk}: {self.summary} ({self.status})"


class PageNotice(models.Model):
    """One person notified by one step of a page: written in the same transaction that
    advances the page, so a step that ran is never run again and none is skipped."""

    page = models.ForeignKey(Page, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    round = models.PositiveIntegerField()
    step = models.PositiveIntegerField()
    methods = models.PositiveIntegerField(default=0)  # how many contact methods were used
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["page", "round", "step", "user"], name="oncall_notice_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.page_id} round {self.round} step {self.step}: {self.user}"


class CalendarFeed(models.Model):
    """The secret iCalendar URL of a schedule or of a person. Nothing secret is stored: the
    URL's token is an HMAC of the feed and its `generation` under SECRET_KEY, so raising the
    generation (a reset) makes every earlier URL stop working."""

    schedule = models.OneToOneField(
        Schedule, on_delete=models.CASCADE, null=True, blank=True, related_name="calendar_feed"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="calendar_feed",
    )
    generation = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(schedule__isnull=False, user__isnull=True)
                | models.Q(schedule__isnull=True, user__isnull=False),
                name="oncall_feed_one_owner",
            )
        ]

    def __str__(self) -> str:
        return f"calendar of {self.schedule or self.user}"

"""Disaster recovery: the systems a team runs, the disaster an incident can become, the state of
each affected system moved by one decision-maker, proposals, runbooks and their verification
gate, and the planned work a disaster stops.

The decision-maker is the holder of the incident's `decision_maker` role (incidents.RoleAssignment):
one truth, handed over like any role and announced on the timeline like every role change.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class System(models.Model):
    """A product the team runs, with who owns it (the default decision-maker of its disasters),
    the public components it maps to, and how fast it must come back and how much data it may
    lose (recovery time and point objectives, in minutes)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    components = models.ManyToManyField(
        "incidents.Component", blank=True, related_name="recovery_systems"
    )
    rto_minutes = models.PositiveIntegerField(help_text="Recovery time objective, in minutes.")
    rpo_minutes = models.PositiveIntegerField(help_text="Recovery point objective, in minutes.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class SystemState(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    MAINTENANCE = "maintenance", "Maintenance"
    READ_ONLY = "read_only", "Read-only"
    OFFLINE = "offline", "Offline"
    RESTORING = "restoring", "Restoring"
    VERIFYING = "verifying", "Verifying"
    RESTORED = "restored", "Restored"


class Disaster(models.Model):
    """What an incident became when it turned into a disaster (or a drill of one). The
    decision-maker is the incident's `decision_maker` role holder."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="disaster"
    )
    drill = models.BooleanField(default=False, help_text="A rehearsal: kept out of statistics.")
    declared_at = models.DateTimeField(default=timezone.now)
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When service was interrupted (the recovery time is counted from here): the incident's
    # start when it has one, else the declaration.
    interrupted_at = models.DateTimeField()
    # The planned work (sprint, iteration) the disaster stopped, and its resumption: business as
    # usual, decided by the decision-maker once the postmortem is published.
    planned_work = models.CharField(max_length=200, blank=True)
    planned_work_url = models.URLField(max_length=500, blank=True)
    planned_work_stopped_at = models.DateTimeField(null=True, blank=True)
    planned_work_stopped_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resumed_at = models.DateTimeField(null=True, blank=True)
    resumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resume_note = models.TextField(blank=True)

    class Meta:
        ordering = ["-declared_at", "-pk"]

    def __str__(self) -> str:
        return f"{'Drill' if self.drill else 'Disaster'} of {self.incident_id}"

    @property
    def is_over(self) -> bool:
        return self.resumed_at is not None


class AffectedSystem(models.Model):
    """One system in one disaster: its state, when it last moved, and what its recovery
    measured (restored_at against the RTO, the recovery point against the RPO)."""

    disaster = models.ForeignKey(Disaster, on_delete=models.CASCADE, related_name="systems")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="disasters")
    position = models.PositiveIntegerField(default=0)
    state = models.CharField(
        max_length=16, choices=SystemState.choices, default=SystemState.OPERATIONAL
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    # When it was last moved to `restored` (cleared when it falls back, so the recovery time
    # measured is to the restore that held).
    restored_at = models.DateTimeField(null=True, blank=True)
    # The moment the restored data reaches (the backup or replica position): the data lost is
    # interrupted_at − last_recovery_point_at, against the RPO.
    last_recovery_point_at = models.DateTimeField(null=True, blank=True)
    # The decision-maker let it be restored without a complete verification checklist.
    gate_override_reason = models.TextField(blank=True)
    gate_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    gate_override_at = models.DateTimeField(null=True, blank=True)
    # The maintenance window its move to maintenance opened on the status page: in progress
    # while the system is held there, completed by the move that takes it out.
    maintenance_window = models.ForeignKey(
        "statuspage.PublicIncident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["disaster", "system"], name="recovery_system_once_per_disaster"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system} ({self.state})"


class StateChange(models.Model):
    """One move of an affected system's state, decided by the decision-maker: why, who was
    consulted, and the evidence it rests on."""

    affected = models.ForeignKey(AffectedSystem, on_delete=models.CASCADE, related_name="changes")
    from_state = models.CharField(max_length=16, choices=SystemState.choices)
    to_state = models.CharField(max_length=16, choices=SystemState.choices)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(default=timezone.now)
    reason = models.TextField()
    consulted = models.JSONField(default=list, blank=True, help_text="Names of those consulted.")
    evidence = models.TextField(blank=True)
    proposal = models.OneToOneField(
        "Proposal", null=True, blank=True, on_delete=models.SET_NULL, related_name="accepted_as"
    )

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.affected}: {self.from_state} → {self.to_state}"


class ProposalStatus(models.TextChoices):
    OPEN = "open", "Waiting for the decision-maker"
    ACCEPTED = "accepted", "Accepted"
    DECLINED = "declined", "Declined"
    SUPERSEDED = "superseded", "Superseded"  # the state moved another way first


class Proposal(models.Model):
    """A move someone other than the decision-maker asks for; the decision-maker accepts
    (which makes the move) or declines it with a note."""

    affected = models.ForeignKey(AffectedSystem, on_delete=models.CASCADE, related_name="proposals")
    from_state = models.CharField(max_length=16, choices=SystemState.choices)
    to_state = models.CharField(max_length=16, choices=SystemState.choices)
    reason = models.TextField()
    consulted = models.JSONField(default=list, blank=True)
    evidence = models.TextField(blank=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    proposed_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.OPEN
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField(blank=True)

    class Meta:
        ordering = ["proposed_at", "pk"]
        indexes = [
            models.Index(
                fields=["affected"], condition=Q(status="open"), name="recovery_open_proposals"
            )
        ]

    def __str__(self) -> str:
        return f"{self.affected}: propose {self.to_state} ({self.status})"


# Runbooks -------------------------------------------------------------------------------------


class StepKind(models.TextChoices):
    RECOVERY = "recovery", "Recovery step"
    VERIFICATION = "verification", "Verification (before restored)"


class StandardStep(models.TextChoices):
    """The four recovery steps every runbook starts from."""

    CONTAIN = "contain", "Put the system in maintenance or read-only mode, or take it offline"
    RESTORE_DATA = "restore_data", "Restore the data into another environment"
    DEPLOY = "deploy", "Deploy the system into that environment"
    SWITCH_DNS = "switch_dns", "Switch DNS to the new environment"


class RunbookTemplate(models.Model):
    """A checklist admins define, for one system (used when that system is affected) or as a
    template for any (`system` empty)."""

    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    system = models.ForeignKey(
        System, null=True, blank=True, on_delete=models.CASCADE, related_name="runbooks"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TemplateStep(models.Model):
    template = models.ForeignKey(RunbookTemplate, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=StepKind.choices, default=StepKind.RECOVERY)
    standard = models.CharField(max_length=16, choices=StandardStep.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Automated: the step calls this webhook and records what it answers.
    webhook_url = models.URLField(max_length=500, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["template", "position"], name="recovery_template_step_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title}"


class StepState(models.TextChoices):
    PENDING = "pending", "To do"
    RUNNING = "running", "Under way"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped"


class RunbookStep(models.Model):
    """One step of an affected system's runbook in this disaster (copied from its template
    when the system joined the disaster): owner, state, times and evidence."""

    affected = models.ForeignKey(AffectedSystem, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=StepKind.choices, default=StepKind.RECOVERY)
    standard = models.CharField(max_length=16, choices=StandardStep.choices, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    webhook_url = models.URLField(max_length=500, blank=True)
    state = models.CharField(max_length=16, choices=StepState.choices, default=StepState.PENDING)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evidence = models.TextField(blank=True, help_text="A note of what was done and seen.")
    evidence_url = models.URLField(max_length=500, blank=True)
    # What an automated step's webhook answered, or an output pasted by hand.
    output = models.TextField(blank=True)
    # An automated step done by hand, and why (e.g. the investigation needs the evidence kept).
    manual_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["affected", "position"], name="recovery_runbook_step_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.title} ({self.state})"

    @property
    def automated(self) -> bool:
        return bool(self.webhook_url)

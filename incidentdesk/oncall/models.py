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

"""Postmortems, the templates they are written from, and the taxonomy of causes."""

import re

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models

from incidentdesk.incidents.models import Incident


class TaxonomyTerm(models.Model):
    """A term that classifies why a problem reached production (DESIGN.md §2)."""

    key = models.CharField(max_length=64, unique=True)
    definition = models.CharField(max_length=300)
    built_in = models.BooleanField(default=False)

    class Meta:
        ordering = ["key"]

    def __str__(self) -> str:
        return self.key

    def clean(self) -> None:
        """The admin's check: the same key rule as the API and CLI."""
        from incidentdesk.core.errors import IncidentDeskError
        from incidentdesk.postmortems.rules import check_term_key

        try:
            self.key = check_term_key(self.key)
        except IncidentDeskError as exc:
            raise DjangoValidationError({"key": exc.message}) from None


class SectionKind(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    FIVE_WHYS = "five_whys", "Five whys"
    TAXONOMY = "taxonomy", "Taxonomy"
    FACTS = "facts", "Facts from the incident"
    ACTIONS = "actions", "Improvement actions (the follow-ups)"
    WENT_WELL = "went_well", "What went well (entries, with wins)"


TEXT_KINDS = (SectionKind.MARKDOWN, SectionKind.FACTS)
SECTION_FIELDS = {"key", "title", "help", "kind"}


class PostmortemTemplate(models.Model):
    """The sections a postmortem is written in. Data, not code: admins add their own.

    `sections` is a list of {key, title, help, kind} with kind one of SectionKind; `clean`
    checks it, so a template saved in the admin cannot break the postmortems made from it."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    sections = models.JSONField(default=list)
    built_in = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        problem = section_problem(self.sections)
        if problem:
            raise DjangoValidationError({"sections": problem})


def section_problem(sections) -> str:
    """What is wrong with a template's section list, or "" when nothing is."""
    if not isinstance(sections, list) or not sections:
        return "must be a non-empty list of sections, each {key, title, help, kind}"
    seen: set[str] = set()
    for n, spec in enumerate(sections, 1):
        if not isinstance(spec, dict):
            return f"section {n} must be an object with key, title, help and kind"
        unknown = set(spec) - SECTION_FIELDS
        if unknown:
            return f"section {n} has unknown fields: {', '.join(sorted(unknown))}"
        key = spec.get("key")
        if not isinstance(key, str) or not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", key):
            return f"section {n} needs a key of lowercase letters, digits and _ (like root_cause)"
        if key in seen:
            return f"section key {key!r} is used twice"
        seen.add(key)
        if not isinstance(spec.get("title", ""), str) or not isinstance(spec.get("help", ""), str):
            return f"section {key!r}: title and help must be text"
        if spec.get("kind", SectionKind.MARKDOWN) not in SectionKind.values:
            return f"section {key!r}: kind must be one of {', '.join(SectionKind.values)}"
    return ""


class PostmortemStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    PUBLISHED = "published", "Published"


class Postmortem(models.Model):
    """One per incident, unlocked once it is resolved. Section text is markdown by section key;
    the incident's facts are not stored here but computed when shown, so they stay current."""

    incident = models.OneToOneField(Incident, on_delete=models.CASCADE, related_name="postmortem")
    template = models.ForeignKey(PostmortemTemplate, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=PostmortemStatus.choices, default=PostmortemStatus.DRAFT
    )
    sections = models.JSONField(default=dict, blank=True)
    five_whys = models.JSONField(default=list, blank=True)
    taxonomy_principal = models.CharField(max_length=64, blank=True, db_index=True)
    taxonomy_tree = models.CharField(max_length=500, blank=True)
    reviewers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+")
    public_impact = models.TextField(blank=True)
    public_cause = models.TextField(blank=True)
    public_solution = models.TextField(blank=True)
    public_conclusion = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"postmortem of {self.incident_id} ({self.status})"

    @property
    def is_published(self) -> bool:
        return self.status == PostmortemStatus.PUBLISHED


# Improvement: follow-up reminders, wins, the root-cause meeting and feedback -------------


class FollowUpReminder(models.Model):
    """The last reminder sent about a follow-up action item, so each step is sent once.

    `step` names the due date and the stage ("2026-03-01:due_soon", "2026-03-01:overdue:0",
    ":overdue:1" a week later…): moving the due date starts the steps again."""

    action_item = models.OneToOneField(
        "incidents.ActionItem", on_delete=models.CASCADE, related_name="+"
    )
    step = models.CharField(max_length=64)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"reminder {self.step} of action {self.action_item_id}"


class WentWell(models.Model):
    """A "what went well" entry; pointing at an earlier action item makes it a win."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="went_well")
    text = models.TextField()
    action_item = models.ForeignKey(
        "incidents.ActionItem",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="wins",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class RootCauseMeeting(models.Model):
    """The root-cause meeting of a postmortem. Rescheduling keeps the invite's UID and bumps
    its sequence, so calendars update the event instead of adding another."""

    postmortem = models.OneToOneField(Postmortem, on_delete=models.CASCADE, related_name="meeting")
    uid = models.CharField(max_length=200, unique=True)
    sequence = models.PositiveIntegerField(default=0)
    starts_at = models.DateTimeField()
    duration_minutes = models.PositiveIntegerField()
    location = models.CharField(max_length=500, blank=True)
    organizer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    attendees = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"root-cause meeting {self.uid}"


class Feedback(models.Model):
    """One participant's view of the response and of the postmortem (1-5 each), editable."""

    postmortem = models.ForeignKey(Postmortem, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    response_rating = models.PositiveSmallIntegerField()
    postmortem_rating = models.PositiveSmallIntegerField()
    improve = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["postmortem", "user"], name="one_feedback_per_user")
        ]

    def __str__(self) -> str:
        return f"feedback of {self.user_id} on {self.postmortem_id}"


class ReviewDigest(models.Model):
    """A weekly digest that was sent (one per ISO week), so a retried task sends it once."""

    week = models.CharField(max_length=10, unique=True)
    sent_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.week

"""Postmortems, the templates they are written from, and the taxonomy of causes."""

from django.conf import settings
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


class SectionKind(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    FIVE_WHYS = "five_whys", "Five whys"
    TAXONOMY = "taxonomy", "Taxonomy"
    FACTS = "facts", "Facts from the incident"


class PostmortemTemplate(models.Model):
    """The sections a postmortem is written in. Data, not code: admins add their own.

    `sections` is a list of {key, title, help, kind} with kind one of SectionKind."""

    key = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=500, blank=True)
    sections = models.JSONField(default=list)
    built_in = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


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

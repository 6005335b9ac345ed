"""Template helpers for the web pages: markdown, permissions and badges."""

from django import template
from django.utils.safestring import SafeString

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.core.markdown import render_markdown

register = template.Library()


@register.filter
def markdown(text: str | None) -> SafeString:
    """Incident text as sanitised HTML (see core/markdown.py)."""
    return render_markdown(text)


@register.filter
def can(user, perm: str) -> bool:
    """`{% if user|can:"incident.update" %}`: whether to show a write control. The service
    checks again; hiding a control is a courtesy, not the protection."""
    return has_perm(user, Perm(perm))


@register.filter
def label(value: str) -> str:
    """A stored choice value as words: `in_progress` → `in progress`."""
    return str(value or "").replace("_", " ")


@register.inclusion_tag("incidents/_badge.html")
def status_badge(status: str):
    return {"kind": "status", "value": status, "text": label(status)}


@register.inclusion_tag("incidents/_badge.html")
def severity_badge(severity):
    return {
        "kind": "sev",
        "value": f"p{min(severity.position, 4)}",
        "text": severity.name,
        "title": severity.description,
    }


@register.filter
def holder(incident, role: str):
    """The current holder of a single role, from an incident loaded by selectors.incident_list
    (its `current_roles` are prefetched, so this costs no query)."""
    for assignment in getattr(incident, "current_roles", []):
        if assignment.role == role:
            return assignment.user
    return None

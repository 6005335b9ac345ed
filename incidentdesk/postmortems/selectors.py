"""Reads for postmortems: the postmortem with what it shows, the incident's facts, the catalog."""

from django.conf import settings
from django.db.models import Q

from incidentdesk.core.reporting import report_time, reporting_zone  # noqa: F401 (used as selectors.*)
from incidentdesk.incidents.models import EntryKind, Incident, TimelineEntry
from incidentdesk.incidents.rules import (
    REPORTED_MEASURES,
    TIME_LABELS,
    duration_between,
    format_duration,
)
from incidentdesk.postmortems.facts import Fact, registered_facts
from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate, TaxonomyTerm

# Timeline entries that draft the postmortem's timeline, besides every pinned one.
IMPORTANT_KINDS = (EntryKind.DECISION, EntryKind.STATUS_CHANGE, EntryKind.PUBLIC_UPDATE)
KEY_TIMES = tuple(TIME_LABELS.items())
MEASURES = REPORTED_MEASURES


def postmortem_for(incident: Incident) -> Postmortem | None:
    """The incident's postmortem with its template and reviewers, or None before it starts."""
    return (
        Postmortem.objects.select_related("template", "incident__severity", "created_by")
        .prefetch_related("reviewers")
        .filter(incident=incident)
        .first()
    )


def incident_facts(incident: Incident) -> list[Fact]:
    """What the postmortem's facts section says, computed from the incident now, so a corrected
    timestamp or count is reflected the next time it is shown."""
    count = incident.users_affected_count
    users = "unknown" if count is None else f"{count:,}"
    if incident.users_affected_description:
        users += f" ({incident.users_affected_description})"
    reporter = incident.reported_by or "not recorded"
    if incident.report_medium:
        reporter += f", through {incident.get_report_medium_display().lower()}"
    facts = [
        Fact("Severity", incident.severity.name),
        Fact("Users affected", users),
        Fact("Detection", incident.get_detection_display() if incident.detection else "unknown"),
        Fact("Reported by", reporter),
        Fact("Tracker", incident.tracker_url or "none"),
    ]
    facts += [
        Fact(label, format_duration(duration_between(getattr(incident, a), getattr(incident, b))))
        for _, label, a, b in MEASURES
    ]
    zone = settings.REPORTING_TIME_ZONE
    facts += [
        Fact(f"{label} ({zone})" if i == 0 else label, report_time(getattr(incident, field)))
        for i, (field, label) in enumerate(KEY_TIMES)
    ]
    return facts + registered_facts(incident)


def timeline_draft(incident: Incident) -> str:
    """A markdown list of the pinned and important timeline entries, oldest first."""
    entries = TimelineEntry.objects.filter(
        Q(pinned=True) | Q(kind__in=IMPORTANT_KINDS), incident=incident
    ).order_by("occurred_at", "id")
    lines = []
    for entry in entries:
        first_line = (entry.body.strip().splitlines() or [""])[0]
        lines.append(f"- {report_time(entry.occurred_at)} — {first_line}")
    if not lines:
        return ""
    return f"Times in {settings.REPORTING_TIME_ZONE}.\n\n" + "\n".join(lines)


def known_terms() -> list[str]:
    return list(TaxonomyTerm.objects.values_list("key", flat=True))


def taxonomy_terms():
    return TaxonomyTerm.objects.all()


def templates():
    return PostmortemTemplate.objects.all()

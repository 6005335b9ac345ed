"""How the incident commands find and show incidents, shared by several commands."""

from typing import Any

from incidentdesk.core.cli import format_table, format_when
from incidentdesk.core.errors import NotFound
from incidentdesk.incidents import selectors
from incidentdesk.incidents.models import Incident, IncidentRole
from incidentdesk.incidents.rules import (
    REPORTED_MEASURES,
    TIMESTAMP_FIELDS,
    duration_between,
    format_duration,
)
from incidentdesk.incidents.schemas import ActionOut, IncidentOut, TimelineOut

ROLE_LABELS = dict(IncidentRole.choices)


def incident_or_error(reference: str, viewer) -> Incident:
    """The incident `viewer` may see (None: no restricted one), or an error as if missing."""
    incident = selectors.incident_by_reference(reference, viewer=viewer)
    if incident is None:
        raise NotFound(f"no incident {reference!r} (see 'incidentdesk list')", field="reference")
    return incident


def incident_json(incident: Incident) -> dict[str, Any]:
    """The API's shape of an incident, so the CLI and the API agree (dumped as the API does,
    by the JSON encoder of `Command.print_json`)."""
    return IncidentOut.from_orm(incident).model_dump()


def actions_json(incident: Incident) -> list[dict[str, Any]]:
    return [ActionOut.from_orm(a).model_dump() for a in selectors.action_items(incident)]


def timeline_json(incident: Incident) -> list[dict[str, Any]]:
    return [TimelineOut.from_orm(e).model_dump() for e in selectors.timeline(incident)]


def incident_text(incident: Incident, *, with_timeline: bool = False) -> str:
    """A readable page about one incident: fields, roles, key times, actions, timeline."""
    parts = [_header(incident), _roles(incident), _times(incident), _actions(incident)]
    if with_timeline:
        parts.append(_timeline(incident))
    return "\n\n".join(part for part in parts if part)


def _header(incident: Incident) -> str:
    rows = [
        ("Severity", incident.severity.name),
        (
            "Status",
            incident.status + (f" ({incident.status_reason})" if incident.status_reason else ""),
        ),
        ("Kind", incident.kind),
        ("Security", "yes" if incident.security else "no"),
        ("Criteria", ", ".join(incident.criteria) or incident.criteria_reason or "-"),
        ("Components", ", ".join(c.name for c in incident.components.all()) or "-"),
        ("Users affected", _users_affected(incident)),
        ("Detection", incident.detection or "-"),
        ("Reported by", _reported_by(incident)),
        ("Tracker", incident.tracker_url or "-"),
    ]
    for label, value in (("Summary", incident.summary), ("Impact", incident.impact)):
        if value:
            rows.append((label, value))
    width = max(len(label) for label, _ in rows)
    lines = [f"{incident.reference}  {incident.title}"]
    lines += [f"  {label.ljust(width)}  {value}" for label, value in rows]
    return "\n".join(lines)


def _users_affected(incident: Incident) -> str:
    count = "" if incident.users_affected_count is None else str(incident.users_affected_count)
    text = " ".join(v for v in (count, incident.users_affected_description) if v)
    return text or "-"


def _reported_by(incident: Incident) -> str:
    medium = f" via {incident.report_medium}" if incident.report_medium else ""
    return (incident.reported_by or "-") + medium


def _roles(incident: Incident) -> str:
    holders = selectors.current_role_holders(incident)
    rows = [
        (ROLE_LABELS[role], ", ".join(u.display_name for u in users))
        for role, users in sorted(
            holders.items(), key=lambda item: IncidentRole.values.index(item[0])
        )
    ]
    return "Roles\n" + _indent(format_table(("ROLE", "PEOPLE"), rows))


def _times(incident: Incident) -> str:
    rows = [
        (name.removesuffix("_at").replace("_", " "), format_when(getattr(incident, name)))
        for name in TIMESTAMP_FIELDS
    ]
    rows += [
        (
            label.lower(),
            format_duration(duration_between(getattr(incident, a), getattr(incident, b))),
        )
        for _, label, a, b in REPORTED_MEASURES
    ]
    return "Key times\n" + _indent(format_table(("WHAT", "WHEN"), rows))


def _actions(incident: Incident) -> str:
    rows = [
        (
            item.id,
            item.title,
            item.phase,
            item.status + (" (overdue)" if item.is_overdue else ""),
            item.owner.display_name if item.owner else "-",
            item.due_date or "-",
        )
        for item in selectors.action_items(incident)
    ]
    headers = ("ID", "TITLE", "PHASE", "STATUS", "OWNER", "DUE")
    return "Action items\n" + _indent(format_table(headers, rows))


def _timeline(incident: Incident) -> str:
    rows = [
        (
            format_when(entry.occurred_at),
            entry.kind,
            entry.source,
            entry.author.display_name if entry.author else "-",
            ("[pinned] " if entry.pinned else "") + entry.body,
        )
        for entry in selectors.timeline(incident)
    ]
    headers = ("WHEN", "KIND", "SOURCE", "AUTHOR", "ENTRY")
    return "Timeline\n" + _indent(format_table(headers, rows, max_width=100))


def _indent(text: str) -> str:
    return "\n".join("  " + line for line in text.splitlines())

"""The incident page: its header and its panels, each built from its own context.

The incidents domain's panels (facts, command box, timeline; times, roles, action items) are
registered here; other domains register theirs from their own AppConfig.ready() (panels.py).
Views of any domain that answer with the incident page use `load_incident` and
`render_incident_page` from here, never another domain's view module.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.shortcuts import render

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import NotFound
from incidentdesk.incidents import panels, rules, selectors, services
from incidentdesk.incidents.commands import registry as command_registry
from incidentdesk.incidents.forms import (
    ActionForm,
    DetailsEditForm,
    EntryForm,
    LinksEditForm,
    TimelineFilterForm,
    TimesEditForm,
)
from incidentdesk.incidents.models import (
    ActionStatus,
    Incident,
    IncidentRole,
    IncidentStatus,
    TimelineRevision,
)
from incidentdesk.incidents.rules import duration_between, format_duration
from incidentdesk.incidents.services.lifecycle import status_before_blocked

TEMPLATE = "incidents/detail.html"
TIME_LABELS = rules.TIME_LABELS
# (label, from, to, explanation: "started → detected")
MEASURES = tuple(
    (label, a, b, f"{a.removesuffix('_at')} → {b.removesuffix('_at')}")
    for _, label, a, b in rules.MEASURES
)
SINGLE_ROLES = [r for r in IncidentRole if r != IncidentRole.ASSIGNEE]


@dataclass(frozen=True)
class StatusAction:
    target: str
    label: str
    needs_reason: bool = False
    optional_reason: bool = False


def load_incident(request, reference: str) -> Incident:
    """The incident the signed-in person may see, or 404 (the same for a restricted one they
    may not see as for a missing one)."""
    incident = selectors.incident_by_reference(reference, viewer=request.user)
    if incident is None:
        raise NotFound(f"there is no incident {reference}", field="reference")
    return incident


# The header -----------------------------------------------------------------------------------


def status_actions(incident: Incident) -> list[StatusAction]:
    """The status buttons: one per transition the lifecycle allows from here (from blocked,
    first the way back to where the incident was before it was blocked)."""
    out = []
    if incident.status in (IncidentStatus.BLOCKED, IncidentStatus.CLOSED_BLOCKED):
        back = rules.unblock_target(incident.status, status_before_blocked(incident))
        out.append(StatusAction(rules.UNBLOCK, f"Unblock (back to {back})"))
    for target in rules.TRANSITIONS[incident.status]:
        if target == IncidentStatus.INVESTIGATING and incident.status == IncidentStatus.RESOLVED:
            out.append(StatusAction(target, "Re-open", needs_reason=True))
        elif target == IncidentStatus.BLOCKED and incident.status == IncidentStatus.CLOSED_BLOCKED:
            out.append(StatusAction(target, "Re-open as blocked"))
        elif target == IncidentStatus.BLOCKED:
            out.append(StatusAction(target, "Blocked", needs_reason=True))
        elif target in (IncidentStatus.CLOSED, IncidentStatus.CLOSED_BLOCKED):
            out.append(StatusAction(target, "Close", optional_reason=True))
        elif target == IncidentStatus.RESOLVED:
            out.append(StatusAction(target, "Resolve", optional_reason=True))
        else:
            out.append(StatusAction(target, target.title()))
    return out


def status_note(incident: Incident) -> str:
    """The line under the title saying why the incident is where it is, if it says anything."""
    until = incident.blocked_until.isoformat() if incident.blocked_until else ""
    reason = f": {incident.status_reason}" if incident.status_reason else ""
    if incident.status == IncidentStatus.BLOCKED:
        return f"Blocked{' until ' + until if until else ''}{reason}"
    if incident.status == IncidentStatus.CLOSED_BLOCKED:
        return f"Closed while blocked; work resumes {until}{reason}"
    last = selectors.last_status_change(incident) if reason else None
    if last and last.data.get("event") in ("re-opened", "unblocked"):
        return f"{last.data['event'].capitalize()}{reason}"
    return ""


def header_context(request, incident: Incident) -> dict:
    """What the header shows besides the incident: the status buttons, why it is where it is,
    and the form to edit its details. (A panel may add to it: the status page's panel gives
    `public_resolve`, what the public reads when the incident is resolved.)"""
    return {
        "incident": incident,
        "status_actions": status_actions(incident),
        "status_note": status_note(incident),
        "details_form": DetailsEditForm(incident=incident),
    }


# The incidents' own panels --------------------------------------------------------------------


def facts_context(request, incident: Incident) -> dict:
    """The facts panel: summary, impact, components, people affected, links (and their form)."""
    return {"links_form": LinksEditForm(incident=incident)}


def command_context(request, incident: Incident) -> dict:
    """The command box and its short list of the registered commands (a write's reply comes
    as `reply`)."""
    return {"command_hints": command_registry.hints()}


def timeline_entries(incident: Incident, filters: TimelineFilterForm):
    kind = filters.cleaned_data.get("kind") if filters.is_valid() else ""
    pinned = bool(filters.is_valid() and filters.cleaned_data.get("pinned"))
    revisions = TimelineRevision.objects.select_related("replaced_by")
    return (
        selectors.timeline(incident, kinds=[kind] if kind else None, pinned_only=pinned)
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .order_by("-occurred_at", "-id")
    )


def timeline_context(request, incident: Incident) -> dict:
    """What the timeline panel shows: the entries, filtered, and the form to add one."""
    filters = TimelineFilterForm(request.GET or None)
    return {
        "incident": incident,
        "entries": timeline_entries(incident, filters),
        "timeline_filter": filters,
        "entry_form": EntryForm(),
    }


def times_context(request, incident: Incident) -> dict:
    """The times panel: each timestamp, the measured times, and the form to correct them."""
    return {
        "time_zone": settings.TIME_ZONE,
        "times": [(TIME_LABELS[f], getattr(incident, f)) for f in rules.TIMESTAMP_FIELDS],
        "measures": [
            (
                label,
                format_duration(duration_between(getattr(incident, a), getattr(incident, b))),
                why,
            )
            for label, a, b, why in MEASURES
        ],
        "times_form": TimesEditForm(incident=incident),
    }


def role_rows(holders: dict[str, list]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"role": r.value, "label": r.label, "holders": holders.get(r, [])} for r in SINGLE_ROLES
    ]
    assignees = holders.get(IncidentRole.ASSIGNEE, [])
    rows.insert(4, {"role": "assignee", "label": "Assignees", "holders": assignees, "many": True})
    return rows


def roles_context(request, incident: Incident) -> dict:
    """The roles panel: who holds each role, warnings, the desk, invitations, the history."""
    holders = selectors.holders_by_role(incident.current_roles)  # prefetched by load_incident
    return {
        "desk": selectors.incident_desk(incident),
        "roles": role_rows(holders),
        "role_warnings": services.role_warnings(holders),
        "is_lead": request.user in holders.get(IncidentRole.LEAD, []),
        "role_history": selectors.role_history(incident).order_by("-started_at", "-id"),
        "invited": selectors.invited_people(incident) if incident.restricted else (),
        "people": User.objects.filter(is_active=True),
    }


def actions_context(request, incident: Incident) -> dict:
    """The action items panel: the items, their statuses, and the form to add one."""
    return {
        "actions": selectors.action_items(incident),
        "action_statuses": ActionStatus.choices,
        "action_form": ActionForm(),
    }


# The whole page -------------------------------------------------------------------------------


def incident_context(request, incident: Incident, **overrides) -> dict:
    """Everything the incident page shows: the header's context and every panel's, in page
    order. `overrides` replace parts of it (a bound form with its errors, a message)."""
    context = {
        **header_context(request, incident),
        **panels.contexts(request, incident),
        "main_panels": panels.panels(panels.MAIN),
        "side_panels": panels.panels(panels.SIDE),
    }
    context.update(overrides)
    return context


def render_incident_page(request, incident: Incident, *, status: int = 200, **overrides):
    """The incident page, e.g. again after a failed plain-form write with the bound form and
    its errors (`overrides`, see incident_context)."""
    context = incident_context(request, incident, **overrides)
    return render(request, TEMPLATE, context, status=status)


MAIN, SIDE = panels.MAIN, panels.SIDE
panels.register("facts", template=f"{TEMPLATE}#facts", context=facts_context, order=10)
panels.register("command", template=f"{TEMPLATE}#command", context=command_context, order=40)
panels.register("timeline", template=f"{TEMPLATE}#timeline", context=timeline_context, order=50)
panels.register("times", template=f"{TEMPLATE}#times", context=times_context, order=10, column=SIDE)
panels.register("roles", template=f"{TEMPLATE}#roles", context=roles_context, order=20, column=SIDE)
panels.register(
    "actions", template=f"{TEMPLATE}#actions", context=actions_context, order=30, column=SIDE
)

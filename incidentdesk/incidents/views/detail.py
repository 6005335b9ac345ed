"""The incident page: what it shows, and how a write's answer re-renders it."""

from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import redirect, render
from django.urls import reverse

from incidentdesk.accounts.models import User
from incidentdesk.core.errors import NotFound
from incidentdesk.core.web import web_errors
from incidentdesk.incidents import rules, selectors, services
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
from incidentdesk.incidents.services.lifecycle import PUBLIC_RESOLVE_MESSAGE, status_before_blocked

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


def timeline_entries(incident: Incident, filters: TimelineFilterForm):
    kind = filters.cleaned_data.get("kind") if filters.is_valid() else ""
    pinned = bool(filters.is_valid() and filters.cleaned_data.get("pinned"))
    revisions = TimelineRevision.objects.select_related("replaced_by")
    return (
        selectors.timeline(incident, kinds=[kind] if kind else None, pinned_only=pinned)
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .order_by("-occurred_at", "-id")
    )


def role_rows(holders: dict[str, list]) -> list[dict]:
    rows = [
        {"role": r.value, "label": r.label, "holders": holders.get(r, [])} for r in SINGLE_ROLES
    ]
    assignees = holders.get(IncidentRole.ASSIGNEE, [])
    rows.insert(4, {"role": "assignee", "label": "Assignees", "holders": assignees, "many": True})
    return rows


def timeline_context(request, incident: Incident) -> dict:
    """What the timeline panel shows: the entries, filtered, and the form to add one."""
    filters = TimelineFilterForm(request.GET or None)
    return {
        "incident": incident,
        "entries": timeline_entries(incident, filters),
        "timeline_filter": filters,
        "entry_form": EntryForm(),
    }


def incident_context(request, incident: Incident, **overrides) -> dict:
    """Everything the incident page shows. `overrides` replace forms (bound, with errors)."""
    holders = selectors.holders_by_role(incident.current_roles)  # prefetched by load_incident
    context = {
        **timeline_context(request, incident),
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
        "status_actions": status_actions(incident),
        "status_note": status_note(incident),
        "desk": selectors.incident_desk(incident),
        "roles": role_rows(holders),
        "role_warnings": services.role_warnings(holders),
        "is_lead": request.user in holders.get(IncidentRole.LEAD, []),
        "role_history": selectors.role_history(incident).order_by("-started_at", "-id"),
        "invited": selectors.invited_people(incident) if incident.restricted else (),
        "people": User.objects.filter(is_active=True),
        "actions": selectors.action_items(incident),
        "action_statuses": ActionStatus.choices,
        "action_form": ActionForm(),
        "details_form": DetailsEditForm(incident=incident),
        "links_form": LinksEditForm(incident=incident),
        "times_form": TimesEditForm(incident=incident),
    }
    context.update(_statuspage_panel(incident))
    context["public_resolve"] = _public_resolve(context.get("publication"))
    context["postmortem"] = _postmortem(incident)
    context.update(overrides)
    return context


def _statuspage_panel(incident: Incident) -> dict:
    # Imported here: the status page's views import this module.
    from incidentdesk.statuspage.views_internal import statuspage_panel

    return statuspage_panel(incident)


def _public_resolve(publication) -> dict | None:
    """What the public reads when this incident is resolved: its open publication's name, the
    message used when none is written, and the components that go back to operational."""
    if publication is None or publication.is_resolved:
        return None
    return {
        "name": publication.name,
        "default_message": PUBLIC_RESOLVE_MESSAGE,
        "components": [a.component.name for a in publication.affected.all()],
    }


def _postmortem(incident: Incident):
    from incidentdesk.postmortems.selectors import postmortem_for

    return postmortem_for(incident)


@login_required
@web_errors
def incident_detail(request, reference: str):
    incident = load_incident(request, reference)
    return render(request, "incidents/detail.html", incident_context(request, incident))


@login_required
@web_errors
def incident_timeline(request, reference: str):
    """The timeline panel alone (for the htmx filter); without htmx, the page filtered."""
    incident = load_incident(request, reference)
    if not request.htmx:
        url = reverse("incident_detail", args=[incident.reference])
        query = request.GET.urlencode()
        return redirect(f"{url}?{query}#timeline" if query else f"{url}#timeline")
    # Only the panel is drawn, so only its part of the page's context is built.
    return render(request, "incidents/detail.html#timeline", timeline_context(request, incident))


def render_detail(request, incident: Incident, *, status: int = 422, **forms):
    """The page again after a failed plain-form write, with the bound form and its errors."""
    context = incident_context(request, incident, **forms)
    return render(request, "incidents/detail.html", context, status=status)


def written(request, reference: str, message: str, anchor: str = "", reply=None):
    """The answer to a successful write: for htmx, a message plus every panel swapped out of
    band (a change often touches several: status, times, roles, timeline); otherwise a
    redirect back to the page (post/redirect/get)."""
    if request.htmx:
        incident = load_incident(request, reference)
        context = incident_context(request, incident, message=message, reply=reply)
        return render(request, "incidents/_refresh.html", context)
    messages.success(request, message)
    url = reverse("incident_detail", args=[reference])
    return redirect(f"{url}#{anchor}" if anchor else url)

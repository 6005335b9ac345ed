"""The incident page: its header and its panels, each built from its own context.

The incidents domain's panels (the timeline with the command box above its newest entries,
facts; times, roles, action items) are registered here; other domains register theirs from
their own AppConfig.ready() (panels.py).
Views of any domain that answer with the incident page use `load_incident` and
`render_incident_page` from here, never another domain's view module.
"""

from copy import copy
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db.models import Prefetch
from django.http import QueryDict
from django.shortcuts import render

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.incidents import hooks, panels, rules, selectors, services
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
    """One status button. With `reason` ("required" or "optional") or `needs_date` it opens a
    small form; `refusal`, when set, says why the move would be refused now (the form is not
    offered, only what is needed first)."""

    target: str
    label: str
    reason: str = ""  # "", "optional", "required": as the service checks it
    reason_label: str = ""
    needs_date: str = ""  # "", "optional", "required"
    refusal: str = ""

    @property
    def has_form(self) -> bool:
        return bool(self.reason or self.needs_date or self.target == IncidentStatus.RESOLVED)


def load_incident(request, reference: str) -> Incident:
    """The incident the signed-in person may see, or 404 (the same for a restricted one they
    may not see as for a missing one)."""
    incident = selectors.incident_by_reference(reference, viewer=request.user)
    if incident is None:
        raise NotFound(f"there is no incident {reference}", field="reference")
    return incident


# The header -----------------------------------------------------------------------------------


def close_check(incident: Incident) -> tuple[str, bool]:
    """What closing the incident for good would meet now, asked of the domains that take part
    in a close (hooks.before_close, e.g. the postmortem's) on a copy, so nothing is changed:
    (the refusal as a sentence, or ""; whether a reason given is kept, as the waiver)."""
    trial = copy(incident)
    trial.postmortem_waiver_reason = ""
    try:
        for check in hooks.before_close:
            check(trial, "")
    except IncidentDeskError as exc:
        return exc.sentence, False
    return "", bool(trial.postmortem_waiver_reason)


def _may_close_blocked(user, incident: Incident) -> bool:
    """Closing while blocked is the lead's call or a manager's (as the service checks)."""
    if has_perm(user, Perm.INCIDENT_CLOSE):
        return True
    return any(
        a.role == IncidentRole.LEAD and a.user_id == getattr(user, "pk", None)
        for a in incident.current_roles
    )


def _closing(incident: Incident) -> StatusAction:
    refusal, waiver = close_check(incident)
    if refusal:
        return StatusAction(IncidentStatus.CLOSED, "Close", refusal=refusal)
    if waiver:
        return StatusAction(
            IncidentStatus.CLOSED,
            "Close",
            reason="optional",
            reason_label="Why no postmortem (optional)",
        )
    return StatusAction(IncidentStatus.CLOSED, "Close")


def status_actions(incident: Incident, user=None) -> list[StatusAction]:
    """The status buttons: one per transition the lifecycle allows from here (from blocked,
    first the way back to where the incident was before it was blocked), each offering only
    what the service accepts: a reason where it needs one, none where it would ignore it, and
    no close the `user` may not make (a final close needs a manager: the template asks)."""
    out = []
    current = incident.status
    if current in (IncidentStatus.BLOCKED, IncidentStatus.CLOSED_BLOCKED):
        back = rules.unblock_target(current, status_before_blocked(incident))
        out.append(StatusAction(rules.UNBLOCK, f"Unblock (back to {back})"))
    for target in rules.TRANSITIONS[current]:
        if target == IncidentStatus.INVESTIGATING and current == IncidentStatus.RESOLVED:
            out.append(StatusAction(target, "Re-open", "required", "Why re-open it?"))
        elif target == IncidentStatus.BLOCKED and current == IncidentStatus.CLOSED_BLOCKED:
            out.append(StatusAction(target, "Re-open as blocked"))
        elif target == IncidentStatus.BLOCKED:
            out.append(
                StatusAction(target, "Blocked", "required", "Why is work blocked?", "optional")
            )
        elif target == IncidentStatus.CLOSED_BLOCKED:
            if user is None or _may_close_blocked(user, incident):
                why = "Why close it now (optional)"
                out.append(StatusAction(target, "Close", "optional", why, "required"))
        elif target == IncidentStatus.CLOSED:
            out.append(_closing(incident))
        elif target == IncidentStatus.RESOLVED:
            out.append(StatusAction(target, "Resolve"))
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
    actions = status_actions(incident, request.user)
    return {
        "incident": incident,
        "status_actions": actions,
        "status_targets": [action.target for action in actions],
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
    revisions = TimelineRevision.objects.select_related("replaced_by")
    return (
        selectors.timeline(incident, **filters.filters())
        .prefetch_related(Prefetch("revisions", queryset=revisions))
        .order_by("-occurred_at", "-id")
    )


def timeline_query(request) -> QueryDict:
    """The timeline's search and filters: from the request's own query string when it carries
    them (the page, the filter form), else, for an htmx request made from the page (a write,
    a refresh), from the address the page shows, so a filtered timeline stays filtered."""
    if any(name in request.GET for name in TimelineFilterForm.FIELDS):
        return request.GET
    current = getattr(getattr(request, "htmx", None), "current_url", None)
    if current:
        return QueryDict(urlsplit(current).query)
    return request.GET


def timeline_context(request, incident: Incident) -> dict:
    """What the timeline panel shows: the command box above the newest entries, the entries
    (searched and filtered) and the form to add one with its kind and time."""
    query = timeline_query(request)
    filters = TimelineFilterForm(query if query else None)
    filtering = filters.is_bound and any(filters.filters().values())
    return {
        **command_context(request, incident),
        "incident": incident,
        "entries": timeline_entries(incident, filters),
        "timeline_filter": filters,
        "timeline_filtering": filtering,
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
# The timeline comes first, the next steps (2) right under it: during an outage the command box
# and the newest entries under it are what the page is for, on a phone within the first screen
# (two next steps above them would push both below it). The command box is part of the
# timeline's panel, so the two never drift apart.
panels.register(
    "timeline", template=f"{TEMPLATE}#timeline-panel", context=timeline_context, order=1
)
panels.register("facts", template=f"{TEMPLATE}#facts", context=facts_context, order=10)
panels.register("times", template=f"{TEMPLATE}#times", context=times_context, order=10, column=SIDE)
panels.register("roles", template=f"{TEMPLATE}#roles", context=roles_context, order=20, column=SIDE)
panels.register(
    "actions", template=f"{TEMPLATE}#actions", context=actions_context, order=30, column=SIDE
)

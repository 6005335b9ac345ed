"""Incident endpoints of the JSON API: parse, call the service, render."""

from ninja import Query, Router, Status
from ninja.pagination import paginate

from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core.errors import NotFound
from incidentdesk.core.pagination import Page
from incidentdesk.core.schemas import Clean
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents import selectors, services
from incidentdesk.incidents.models import ActionItem, Component, Incident, Severity, TimelineEntry
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.rules import TIMESTAMP_FIELDS
from incidentdesk.incidents.schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    CommandIn,
    CommandOut,
    ComponentIn,
    ComponentOut,
    IncidentIn,
    IncidentOut,
    IncidentPatch,
    InvitationIn,
    RevisionOut,
    RoleIn,
    RolesOut,
    SeverityIn,
    SeverityOut,
    SeverityPatch,
    StatusIn,
    TimelineIn,
    TimelineOut,
    TimelinePatch,
    person,
)

router = Router()
API = ActionSource.API


class IncidentFilters(Clean):
    q: str = ""
    status: str = ""
    severity: str = ""
    component: str = ""
    kind: str = ""


def _refuse_nul(value: str, field: str) -> str:
    # Path and query text is not validated by a schema; PostgreSQL cannot compare a NUL.
    return refuse_unsafe_characters(value, field=field)


def _incident(request, reference: str) -> Incident:
    """The incident the caller may see, or 404 (the same for a restricted one they may not)."""
    incident = selectors.visible_incident(_refuse_nul(reference, "reference"), viewer=request.auth)
    if incident is None:
        raise NotFound(f"no incident {reference!r}", field="reference")
    return incident


def _answer(request, incident: Incident, *, fresh: bool = False) -> Incident:
    """`incident` as it is now, with what IncidentOut shows, or 404 when the caller may no
    longer see it. `fresh`: the write read `incident` inside its transaction and left it as it
    wrote it (with its severity), so its row is not read again."""
    if not fresh:
        answer = selectors.incident_for_answer(incident.pk, viewer=request.auth)
    elif can_see(request.auth, incident):
        answer = selectors.with_answer_parts(incident)
    else:
        answer = None
    if answer is None:
        raise NotFound(f"no incident {incident.reference!r}", field="reference")
    # The responders desk the answer shows, read once a request (the write may have read it).
    request.responders_desk = selectors.responders_desk()
    return answer


@router.get("/incidents", response=list[IncidentOut], tags=["incidents"])
@paginate(Page)
def list_incidents(request, filters: Query[IncidentFilters]):
    return selectors.incident_list(
        viewer=request.auth,
        query=filters.q,
        status=filters.status,
        severity=filters.severity,
        component=filters.component,
        kind=filters.kind,
    ).prefetch_related(selectors.open_desk_seats())


@router.post("/incidents", response={201: IncidentOut}, tags=["incidents"])
def declare_incident(request, payload: IncidentIn):
    data = payload.dict(exclude_unset=True)
    with selectors.responders_desk_read_once():
        incident = services.incident_declare(actor=request.auth, source=API, **data)
        # As created, unless a moment was given: it is read back (in UTC) from the row.
        fresh = not data.keys() & set(TIMESTAMP_FIELDS)
        return Status(201, _answer(request, incident, fresh=fresh))


@router.get("/incidents/{reference}", response=IncidentOut, tags=["incidents"])
def get_incident(request, reference: str):
    return _answer(request, _incident(request, reference))


@router.patch("/incidents/{reference}", response=IncidentOut, tags=["incidents"])
def update_incident(request, reference: str, payload: IncidentPatch):
    incident = _incident(request, reference)
    changes = payload.dict(exclude_unset=True)
    with selectors.responders_desk_read_once():
        updated = services.incident_update(
            actor=request.auth, source=API, incident=incident, changes=changes
        )
        # A moment keeps the offset it was given until it is read back (in UTC) from the row.
        return _answer(request, updated, fresh=not changes.keys() & set(TIMESTAMP_FIELDS))


@router.post("/incidents/{reference}/status", response=IncidentOut, tags=["incidents"])
def change_status(request, reference: str, payload: StatusIn):
    incident = _incident(request, reference)
    with selectors.responders_desk_read_once():
        changed = services.incident_set_status(
            actor=request.auth, source=API, incident=incident, **payload.dict()
        )
        return _answer(request, changed, fresh=True)


@router.post("/incidents/{reference}/commands", response=CommandOut, tags=["incidents"])
def run_command(request, reference: str, payload: CommandIn):
    incident = _incident(request, reference)
    with selectors.responders_desk_read_once():
        result = services.command_run(
            actor=request.auth, source=API, incident=incident, text=payload.text
        )
        return {
            "reply": result.reply,
            "warnings": result.warnings,
            "incident": _answer(request, result.incident, fresh=result.fresh),
        }


@router.get("/incidents/{reference}/timeline", response=list[TimelineOut], tags=["timeline"])
@paginate(Page)
def list_timeline(request, reference: str, kind: str = "", pinned: bool = False):
    kinds = [k for k in _refuse_nul(kind, "kind").split(",") if k] or None
    return selectors.timeline(_incident(request, reference), kinds=kinds, pinned_only=pinned)


@router.post("/incidents/{reference}/timeline", response={201: TimelineOut}, tags=["timeline"])
def add_timeline_entry(request, reference: str, payload: TimelineIn):
    entry = services.timeline_entry_add(
        actor=request.auth, source=API, incident=_incident(request, reference), **payload.dict()
    )
    return Status(201, entry)


def _entry(request, reference: str, entry_id: int) -> TimelineEntry:
    incident = _incident(request, reference)
    entry = TimelineEntry.objects.filter(pk=entry_id, incident=incident).first()
    if entry is None:
        raise NotFound(f"no timeline entry {entry_id} on {reference}", field="entry")
    return entry


@router.patch("/incidents/{reference}/timeline/{entry_id}", response=TimelineOut, tags=["timeline"])
def edit_timeline_entry(request, reference: str, entry_id: int, payload: TimelinePatch):
    entry = _entry(request, reference, entry_id)
    if payload.body is not None:
        entry = services.timeline_entry_edit(
            actor=request.auth, source=API, entry=entry, body=payload.body
        )
    if payload.pinned is not None:
        entry = services.timeline_entry_pin(
            actor=request.auth, source=API, entry=entry, pinned=payload.pinned
        )
    return entry


@router.get(
    "/incidents/{reference}/timeline/{entry_id}/revisions",
    response=list[RevisionOut],
    tags=["timeline"],
)
def list_revisions(request, reference: str, entry_id: int):
    return _entry(request, reference, entry_id).revisions.select_related("replaced_by")


def _roles(incident: Incident) -> dict:
    history = list(selectors.role_history(incident))
    holders = selectors.current_role_holders(incident)
    return {
        "current": [a for a in history if a.ended_at is None],
        "history": history,
        "warnings": services.role_warnings(holders),
        "invited": [person(i.user) for i in selectors.invited_people(incident)],
    }


@router.get("/incidents/{reference}/roles", response=RolesOut, tags=["roles"])
def list_roles(request, reference: str):
    return _roles(_incident(request, reference))


@router.post("/incidents/{reference}/roles", response={201: RolesOut}, tags=["roles"])
def assign_role(request, reference: str, payload: RoleIn):
    incident = _incident(request, reference)
    services.role_assign(
        actor=request.auth,
        source=API,
        incident=incident,
        role=payload.role,
        user=user_by_handle(payload.person),
    )
    return Status(201, _roles(incident))


@router.delete("/incidents/{reference}/roles/{role}", response=RolesOut, tags=["roles"])
def release_role(request, reference: str, role: str, person: str = ""):
    incident = _incident(request, reference)
    user = user_by_handle(_refuse_nul(person, "person")) if person else None
    services.role_release(actor=request.auth, source=API, incident=incident, role=role, user=user)
    return _roles(incident)


@router.post("/incidents/{reference}/invitations", response={201: RolesOut}, tags=["roles"])
def invite_person(request, reference: str, payload: InvitationIn):
    """Invite a person into a restricted incident (they see it while invited)."""
    incident = _incident(request, reference)
    user = user_by_handle(payload.person)
    services.incident_invite(actor=request.auth, source=API, incident=incident, user=user)
    return Status(201, _roles(incident))


@router.delete("/incidents/{reference}/invitations/{person}", response=RolesOut, tags=["roles"])
def uninvite_person(request, reference: str, person: str):
    """Withdraw a person's invitation to a restricted incident."""
    incident = _incident(request, reference)
    user = user_by_handle(_refuse_nul(person, "person"))
    services.incident_uninvite(actor=request.auth, source=API, incident=incident, user=user)
    return _roles(incident)


@router.get("/incidents/{reference}/actions", response=list[ActionOut], tags=["actions"])
def list_actions(request, reference: str):
    return selectors.action_items(_incident(request, reference)).select_related("incident")


@router.post("/incidents/{reference}/actions", response={201: ActionOut}, tags=["actions"])
def create_action(request, reference: str, payload: ActionIn):
    data = payload.dict(exclude_unset=True)
    item = services.action_item_create(
        actor=request.auth, source=API, incident=_incident(request, reference), **data
    )
    return Status(201, item)


@router.patch("/actions/{action_id}", response=ActionOut, tags=["actions"])
def update_action(request, action_id: int, payload: ActionPatch):
    item = (
        ActionItem.objects.select_related("incident", "owner")
        .filter(pk=action_id, incident__in=selectors.visible_incidents(request.auth))
        .first()
    )
    if item is None:
        raise NotFound(f"no action item {action_id}", field="action")
    return services.action_item_update(
        actor=request.auth, source=API, item=item, changes=payload.dict(exclude_unset=True)
    )


@router.get("/components", response=list[ComponentOut], tags=["catalog"])
def list_components(request):
    return Component.objects.select_related("group")


@router.post("/components", response={201: ComponentOut}, tags=["catalog"])
def create_component(request, payload: ComponentIn):
    return Status(201, services.component_save(actor=request.auth, source=API, **payload.dict()))


@router.patch("/components/{component_id}", response=ComponentOut, tags=["catalog"])
def update_component(request, component_id: int, payload: ComponentIn):
    component = services.component_lookup(component_id)
    return services.component_save(
        actor=request.auth, source=API, component=component, **payload.dict()
    )


@router.get("/severities", response=list[SeverityOut], tags=["catalog"])
def list_severities(request):
    return Severity.objects.all()


@router.post("/severities", response={201: SeverityOut}, tags=["catalog"])
def create_severity(request, payload: SeverityIn):
    data = payload.dict(exclude_unset=True)
    key = data.pop("key")
    return Status(
        201,
        services.severity_save(actor=request.auth, source=API, key=key, changes=data, create=True),
    )


@router.patch("/severities/{key}", response=SeverityOut, tags=["catalog"])
def update_severity(request, key: str, payload: SeverityPatch):
    data = payload.dict(exclude_unset=True)
    data.pop("key", None)
    return services.severity_save(actor=request.auth, source=API, key=key, changes=data)

"""Disaster recovery endpoints of the JSON API (/api/v1): the systems catalog, disasters (declared,
their systems moved by the decision-maker or proposed by others, runbook steps, planned work,
business as usual) and runbook templates. Parse, call the service, answer with the same JSON as
the CLI's --json (recovery.selectors)."""

from datetime import datetime
from typing import Any

from django.db import transaction
from ninja import Query, Router, Schema, Status

from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.schemas import Clean, Moment, Strict
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.selectors import visible_incident
from incidentdesk.recovery import doors, public, runbooks, selectors, services, systems

# The runbook's JSON is the CLI's --json (one shape for both doors).
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    RunbookStep,
    RunbookTemplate,
    StateChange,
    System,
    SystemState,
)

router = Router(tags=["recovery"])
API = ActionSource.API

# The answers are the selectors' dicts (one shape for the API and `--json`); their fields are
# listed in docs/api.md and docs/disaster.md.
Data = dict[str, Any]


# Bodies ------------------------------------------------------------------------------------


class SystemIn(Strict):
    name: str
    owner: int | str
    rto_minutes: int
    rpo_minutes: int
    description: str = ""
    components: list[int | str] = []


class SystemPatch(Strict):
    name: str | None = None
    owner: int | str | None = None
    rto_minutes: int | None = None
    rpo_minutes: int | None = None
    description: str | None = None
    components: list[int | str] | None = None


class DisasterIn(Strict):
    """The incident by reference, its affected systems by name or id, in the order to show."""

    incident: str
    systems: list[int | str]
    decision_maker: int | str | None = None
    drill: bool = False
    planned_work: str = ""
    planned_work_url: str = ""
    interrupted_at: Moment | None = None


class TransitionIn(Strict):
    """A move of one affected system; `propose` turns it into a proposal when the caller is
    not the decision-maker. `public` is the public change to make with it (the preview's
    shape, edited), or null for none."""

    system: int | str
    state: str
    reason: str
    consulted: list[str] = []
    evidence: str = ""
    last_recovery_point_at: Moment | None = None
    override_reason: str = ""
    public: dict[str, Any] | None = None
    propose: bool = False


class PreviewQuery(Clean):
    system: str
    state: str


class AcceptIn(Strict):
    public: dict[str, Any] | None = None
    note: str = ""


class DeclineIn(Strict):
    note: str


class StepPatch(Strict):
    """A step's new state with its evidence, and/or its new owner (a username or id; null
    for nobody)."""

    state: str | None = None
    evidence: str = ""
    evidence_url: str = ""
    output: str = ""
    manual_reason: str = ""
    owner: int | str | None = None


class AddSystemIn(Strict):
    system: int | str


class PlannedWorkIn(Strict):
    planned_work: str
    planned_work_url: str = ""


class ResumeIn(Strict):
    note: str = ""


class RunbookIn(Strict):
    """No `steps`: the four standard steps and one verification step."""

    name: str
    system: int | str | None = None
    description: str = ""
    steps: list[dict[str, Any]] | None = None


class RunbookPatch(Strict):
    name: str | None = None
    system: int | str | None = None
    description: str | None = None
    steps: list[dict[str, Any]] | None = None


class ChangeOut(Schema):
    id: int
    affected: int
    system: str
    from_state: str
    to_state: str
    decided_by: str | None
    decided_at: datetime
    reason: str
    consulted: list[str]
    evidence: str
    proposal: int | None


class ProposalOut(Schema):
    """A proposal as the disaster lists it."""

    id: int
    affected: int
    system: str
    from_state: str
    to_state: str
    reason: str
    consulted: list[str]
    evidence: str
    proposed_by: str | None
    proposed_at: datetime
    status: str
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str


# What the doors read the same way ----------------------------------------------------------


def _system(system_id: int) -> System:
    system = selectors.systems().filter(pk=system_id).first()
    if system is None:
        raise NotFound(f"no system with id {system_id}", field="system")
    return system


def _runbook(runbook_id: int) -> RunbookTemplate:
    template = RunbookTemplate.objects.filter(pk=runbook_id).first()
    if template is None:
        raise NotFound(f"no runbook with id {runbook_id}", field="runbook")
    return template


def _disaster(request, disaster_id: int) -> Disaster:
    """A disaster the caller may see (one of a restricted incident they may not see is as
    unknown as one that does not exist)."""
    disaster = selectors.disasters_for(request.auth).filter(pk=disaster_id).first()
    if disaster is None:
        raise NotFound(f"no disaster with id {disaster_id}", field="disaster")
    return disaster


def _affected(disaster: Disaster, value) -> AffectedSystem:
    """The disaster's system a body or query names: one it does not have is bad input (422)."""
    try:
        return doors.affected_of(disaster, value)
    except NotFound as exc:
        raise ValidationError(exc.message, field=exc.field) from None


def _step(disaster: Disaster, step_id: int) -> RunbookStep:
    found = RunbookStep.objects.filter(pk=step_id, affected__disaster=disaster).first()
    if found is None:
        raise NotFound(f"no runbook step with id {step_id} in this disaster", field="step")
    return found


def _incident(request, reference: str):
    incident = visible_incident(reference, viewer=request.auth)
    if incident is None:
        raise NotFound(f"no incident {reference}", field="incident")
    return incident


def _change_data(change: StateChange) -> Data:
    return {
        "id": change.pk,
        "affected": change.affected_id,
        "system": change.affected.system.name,
        "from_state": change.from_state,
        "to_state": change.to_state,
        "decided_by": change.decided_by.username if change.decided_by else None,
        "decided_at": change.decided_at,
        "reason": change.reason,
        "consulted": change.consulted,
        "evidence": change.evidence,
        "proposal": change.proposal_id,
    }


def _proposal_data(request, disaster: Disaster, proposal: Proposal) -> Data:
    """The proposal as the disaster, read again, lists it."""
    data = selectors.disaster_data(_disaster(request, disaster.pk))
    return next(p for p in data["proposals"] if p["id"] == proposal.pk)


def _disaster_data(request, disaster: Disaster) -> Data:
    """The disaster read again after a write (its systems, steps and proposals as they are)."""
    return selectors.disaster_data(_disaster(request, disaster.pk))


def _public_change(data: dict | None, affected: AffectedSystem):
    return None if data is None else public.public_change_from_data(data, affected)


# Systems -----------------------------------------------------------------------------------


@router.get("/systems", response=list[Data])
def list_systems(request):
    return [selectors.system_data(system) for system in selectors.systems()]


@router.post("/systems", response={201: Data})
def create_system(request, payload: SystemIn):
    system = systems.system_create(actor=request.auth, source=API, **payload.dict())
    return Status(201, selectors.system_data(system))


@router.get("/systems/{system_id}", response=Data)
def get_system(request, system_id: int):
    return selectors.system_data(_system(system_id))


@router.patch("/systems/{system_id}", response=Data)
def update_system(request, system_id: int, payload: SystemPatch):
    system = systems.system_update(
        actor=request.auth,
        source=API,
        system=_system(system_id),
        **payload.dict(exclude_unset=True),
    )
    return selectors.system_data(system)


@router.delete("/systems/{system_id}", response={204: None})
def delete_system(request, system_id: int):
    systems.system_delete(actor=request.auth, source=API, system=_system(system_id))
    return Status(204, None)


# Disasters ---------------------------------------------------------------------------------


@router.get("/disasters", response=list[Data])
def list_disasters(request):
    """The disasters (and drills) the caller may see, newest first (at most 500)."""
    return [selectors.disaster_data(d) for d in selectors.disasters_for(request.auth)[:500]]


@router.post("/disasters", response={201: Data})
def declare_disaster(request, payload: DisasterIn):
    values = payload.dict()
    values["incident"] = _incident(request, values["incident"])
    disaster = services.disaster_declare(actor=request.auth, source=API, **values)
    return Status(201, _disaster_data(request, disaster))


@router.get("/disasters/{disaster_id}", response=Data)
def get_disaster(request, disaster_id: int):
    return selectors.disaster_data(_disaster(request, disaster_id))


@router.post("/disasters/{disaster_id}/transitions", response={201: ChangeOut, 202: ProposalOut})
def move_system(request, disaster_id: int, payload: TransitionIn):
    """201 with the change; 202 with the proposal when `propose` is true and the caller is not
    the decision-maker."""
    disaster = _disaster(request, disaster_id)
    values = payload.dict()
    affected = _affected(disaster, values.pop("system"))
    values["public"] = _public_change(values["public"], affected)
    made = services.state_move(actor=request.auth, source=API, affected=affected, **values)
    if isinstance(made, Proposal):
        return Status(202, _proposal_data(request, disaster, made))
    return Status(201, _change_data(made))


@router.get("/disasters/{disaster_id}/preview", response=Data)
def preview_public_change(request, disaster_id: int, query: Query[PreviewQuery]):
    """The public change that matches moving `system` to `state`, for the decision-maker to
    edit and send as the transition's `public`."""
    affected = _affected(_disaster(request, disaster_id), query.system)
    state = doors.state_word(query.state)
    if state not in SystemState.values:
        raise ValidationError(f"one of {', '.join(SystemState.values)}", field="state")
    return public.public_preview(affected, state).data()


@router.post("/disasters/{disaster_id}/proposals/{proposal_id}/accept", response=ChangeOut)
def accept_proposal(request, disaster_id: int, proposal_id: int, payload: AcceptIn):
    proposal = doors.proposal_of(_disaster(request, disaster_id), proposal_id)
    change = services.proposal_accept(
        actor=request.auth,
        source=API,
        proposal=proposal,
        public=_public_change(payload.public, proposal.affected),
        note=payload.note,
    )
    return _change_data(change)


@router.post("/disasters/{disaster_id}/proposals/{proposal_id}/decline", response=ProposalOut)
def decline_proposal(request, disaster_id: int, proposal_id: int, payload: DeclineIn):
    disaster = _disaster(request, disaster_id)
    proposal = services.proposal_decline(
        actor=request.auth,
        source=API,
        proposal=doors.proposal_of(disaster, proposal_id),
        note=payload.note,
    )
    return _proposal_data(request, disaster, proposal)


@router.patch("/disasters/{disaster_id}/steps/{step_id}", response=Data)
def update_step(request, disaster_id: int, step_id: int, payload: StepPatch):
    """The owner and the state given, both or neither written."""
    disaster = _disaster(request, disaster_id)
    step = _step(disaster, step_id)
    values = payload.dict(exclude_unset=True)
    owner_given = "owner" in values
    owner = values.pop("owner", None)
    if values and values.get("state") is None:
        raise ValidationError("give the step's new state with its evidence", field="state")
    with transaction.atomic():
        if owner_given:
            step = runbooks.step_assign(actor=request.auth, source=API, step=step, owner=owner)
        if values:
            step = runbooks.step_update(actor=request.auth, source=API, step=step, **values)
    return _disaster_data(request, disaster)


@router.post("/disasters/{disaster_id}/steps/{step_id}/run", response=Data)
def run_step(request, disaster_id: int, step_id: int):
    """An automated step: calls its webhook after the answer (the step shows `running`)."""
    disaster = _disaster(request, disaster_id)
    runbooks.step_run(actor=request.auth, source=API, step=_step(disaster, step_id))
    return _disaster_data(request, disaster)


@router.post("/disasters/{disaster_id}/systems", response={201: Data})
def add_system(request, disaster_id: int, payload: AddSystemIn):
    disaster = _disaster(request, disaster_id)
    services.disaster_add_system(
        actor=request.auth, source=API, disaster=disaster, system=payload.system
    )
    return Status(201, _disaster_data(request, disaster))


@router.post("/disasters/{disaster_id}/planned-work", response=Data)
def stop_planned_work(request, disaster_id: int, payload: PlannedWorkIn):
    disaster = services.planned_work_stop(
        actor=request.auth, source=API, disaster=_disaster(request, disaster_id), **payload.dict()
    )
    return _disaster_data(request, disaster)


@router.post("/disasters/{disaster_id}/resume", response=Data)
def resume_business(request, disaster_id: int, payload: ResumeIn):
    disaster = services.business_resume(
        actor=request.auth, source=API, disaster=_disaster(request, disaster_id), note=payload.note
    )
    return _disaster_data(request, disaster)


# Runbook templates -------------------------------------------------------------------------


@router.get("/runbooks", response=list[Data])
def list_runbooks(request):
    found = RunbookTemplate.objects.select_related("system").prefetch_related("steps__owner")
    return [selectors.runbook_data(template) for template in found]


@router.post("/runbooks", response={201: Data})
def create_runbook(request, payload: RunbookIn):
    template = runbooks.runbook_template_create(actor=request.auth, source=API, **payload.dict())
    return Status(201, selectors.runbook_data(template))


@router.get("/runbooks/{runbook_id}", response=Data)
def get_runbook(request, runbook_id: int):
    return selectors.runbook_data(_runbook(runbook_id))


@router.patch("/runbooks/{runbook_id}", response=Data)
def update_runbook(request, runbook_id: int, payload: RunbookPatch):
    template = runbooks.runbook_template_update(
        actor=request.auth,
        source=API,
        template=_runbook(runbook_id),
        **payload.dict(exclude_unset=True),
    )
    return selectors.runbook_data(template)


@router.delete("/runbooks/{runbook_id}", response={204: None})
def delete_runbook(request, runbook_id: int):
    runbooks.runbook_template_delete(actor=request.auth, source=API, template=_runbook(runbook_id))
    return Status(204, None)

"""The disaster control room (`/incidents/<ref>/disaster`): each system's state and the moves
the decision-maker may make next (others propose them), proposals waiting, each runbook with
its progress, the verification gate, the clock against the RTO, planned work and the return to
business as usual; and the page that escalates an incident to a disaster. Views parse a form, call
one service and answer; a refusal is shown on the form it is about (core/web.py)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.incidents.page import load_incident
from incidentdesk.incidents.rules import format_duration
from incidentdesk.recovery import doors, measures, public, rules, runbooks, selectors, services
from incidentdesk.recovery.forms import (
    AddSystemForm,
    AssignForm,
    EscalateForm,
    MoveForm,
    NoteForm,
    PlannedWorkForm,
    PublicForm,
    StepForm,
    public_initial,
)
from incidentdesk.recovery.models import AffectedSystem, Proposal, ProposalStatus, RunbookStep
from incidentdesk.recovery.models import SystemState as S

WEB = ActionSource.WEB
CHANGES_SHOWN = 10


# Finding things ---------------------------------------------------------------------------------


def _disaster(request, reference: str):
    incident = load_incident(request, reference)
    return incident, doors.disaster_of(incident)


def _in_disaster(found, pk: int, *, field: str, words: str):
    """One row of this disaster (`found` is already limited to it), or 404 naming `field`."""
    one = found.filter(pk=pk).first()
    if one is None:
        raise NotFound(f"this disaster has no such {words}", field=field)
    return one


def _affected(disaster, affected_id: int) -> AffectedSystem:
    found = AffectedSystem.objects.filter(disaster=disaster)
    found = found.select_related("system", "disaster__incident")
    return _in_disaster(found, affected_id, field="system", words="system")


def _step(disaster, step_id: int) -> RunbookStep:
    found = RunbookStep.objects.filter(affected__disaster=disaster)
    found = found.select_related("affected__system", "affected__disaster__incident", "owner")
    return _in_disaster(found, step_id, field="step", words="runbook step")


def _proposal(disaster, proposal_id: int) -> Proposal:
    found = Proposal.objects.filter(affected__disaster=disaster)
    found = found.select_related("affected__system", "affected__disaster__incident")
    return _in_disaster(found, proposal_id, field="proposal", words="proposal")


def _room_url(incident, anchor: str = "") -> str:
    url = reverse("disaster_room", args=[incident.reference])
    return f"{url}#{anchor}" if anchor else url


# The control room ---------------------------------------------------------------------------


def _clock(affected) -> dict:
    """The clock against the RTO, in words."""
    clock = measures.clock(affected)
    elapsed, rto, remaining = clock.get("elapsed"), clock.get("rto"), clock.get("remaining")
    over = bool(clock.get("over"))
    return {
        "elapsed": format_duration(elapsed),
        "rto": format_duration(rto),
        "remaining": format_duration(remaining) if remaining is not None and not over else "",
        "over_by": format_duration(elapsed - rto) if over and elapsed and rto else "",
        "over": over,
        "stopped": not clock.get("running", True),
        "percent": min(100, int(100 * elapsed / rto)) if elapsed and rto else 0,
    }


def _words(value) -> str:
    return format_duration(value) if value is not None else ""


def _system_row(affected, forms: dict, *, resumed: bool) -> dict:
    steps = list(affected.steps.all())
    missing = runbooks.gate_missing(affected)
    return {
        "affected": affected,
        "moves": [] if resumed else [(m, rules.state_label(m)) for m in affected.moves],
        "proposals": [
            {"proposal": p, "form": forms.get(f"p{p.pk}") or NoteForm(prefix=f"p{p.pk}")}
            for p in affected.proposals.all()
            if p.status == ProposalStatus.OPEN
        ],
        "changes": list(affected.changes.all())[-CHANGES_SHOWN:],
        "steps": [
            {
                "step": s,
                "form": forms.get(f"s{s.pk}")
                or StepForm(prefix=f"s{s.pk}", initial={"state": s.state}),
                "assign": forms.get(f"o{s.pk}")
                or AssignForm(
                    prefix=f"o{s.pk}", initial={"owner": s.owner.username if s.owner else ""}
                ),
            }
            for s in steps
        ],
        "progress": runbooks.runbook_progress(affected),
        "gate_missing": missing,
        "clock": _clock(affected),
        "data_loss": _words(measures.data_loss(affected)),
        "rpo_met": measures.rpo_met(affected),
        "rto_met": measures.rto_met(affected),
    }


def room_context(request, incident, disaster, **forms) -> dict:
    """Everything the control room shows; `forms` are bound forms (with their errors) that
    replace the blank one of the same key (`s<step id>`, `p<proposal id>`, `resume`, …)."""
    decision_maker = services.decision_maker_of(disaster)
    affected = list(
        disaster.systems.select_related("system", "gate_override_by")
        .prefetch_related("steps__owner", "proposals__proposed_by", "changes__decided_by")
        .order_by("position", "pk")
    )
    for each in affected:
        each.moves = rules.allowed_moves(each.state)
    resumed = disaster.resumed_at is not None
    return {
        "incident": incident,
        "disaster": disaster,
        "decision_maker": decision_maker,
        "is_decision_maker": decision_maker is not None and decision_maker.pk == request.user.pk,
        "rows": [_system_row(a, forms, resumed=resumed) for a in affected],
        "all_back": all(a.state in rules.BACK for a in affected),
        "planned_form": forms.get("planned") or PlannedWorkForm(prefix="planned"),
        "resume_form": forms.get("resume") or NoteForm(prefix="resume"),
        "add_form": forms.get("add")
        or AddSystemForm(prefix="add", exclude=[a.system_id for a in affected]),
    }


def _room(request, incident, disaster, *, status: int = 200, **forms):
    context = room_context(request, incident, disaster, **forms)
    return render(request, "recovery/room.html", context, status=status)


@login_required
@web_errors
def control_room(request, reference: str):
    incident, disaster = _disaster(request, reference)
    return _room(request, incident, disaster)


def _room_write(request, reference: str, key: str, form, write, done: str, anchor: str = ""):
    """Parse `form`, call `write(data)`, and come back to the control room with `done` said;
    a refusal shows the control room again with the form and its error."""
    incident, disaster = _disaster(request, reference)
    try:
        write(disaster, parsed(form))
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            form,
            lambda: _room(request, incident, disaster, status=422, **{key: form}),
        )
    messages.success(request, done)
    return redirect(_room_url(incident, anchor))


# Moving a system's state ----------------------------------------------------------------------


def _move_page(request, incident, disaster, affected, state, form, public_form, proposal=None):
    missing = runbooks.gate_missing(affected) if state == S.RESTORED else []
    decision_maker = services.decision_maker_of(disaster)
    context = {
        "incident": incident,
        "disaster": disaster,
        "affected": affected,
        "state": state,
        "state_label": rules.state_label(state),
        "form": form,
        "public_form": public_form,
        "proposal": proposal,
        "gate_missing": missing,
        "decision_maker": decision_maker,
        "is_decision_maker": decision_maker is not None and decision_maker.pk == request.user.pk,
    }
    status = 422 if form.errors or (public_form and public_form.errors) else 200
    return render(request, "recovery/move.html", context, status=status)


def _public_form(request, disaster, affected, state):
    """The public change to review (the preview), or the one posted; None for a drill, which
    never touches the public site."""
    if disaster.drill:
        return None
    components = list(affected.system.components.order_by("name"))
    preview = public.public_preview(affected, state)
    offered = {
        "components": components,
        "maintenance": preview.maintenance_until is not None,
        "complete_maintenance": preview.complete_maintenance,
    }
    if request.method == "POST":
        return PublicForm(request.POST, prefix="public", **offered)
    return PublicForm(prefix="public", initial=public_initial(preview), **offered)


def _public_change(public_form, affected):
    if public_form is None:
        return None
    parsed(public_form)  # its own parse errors first
    shape = public_form.data_for_service()
    return None if shape is None else public.public_change_from_data(shape, affected)


def _failed_form(exc, form, public_form):
    field = exc.field or ""
    return public_form if public_form is not None and field.startswith("public") else form


@login_required
@web_errors
def move(request, reference: str, affected_id: int, state: str):
    """The form of one move: why, who was consulted, the evidence, and (for the decision-maker)
    the public change previewed; others propose the move instead."""
    incident, disaster = _disaster(request, reference)
    affected = _affected(disaster, affected_id)
    public_form = _public_form(request, disaster, affected, state)
    if request.method != "POST":
        return _move_page(request, incident, disaster, affected, state, MoveForm(), public_form)
    form = MoveForm(request.POST)
    proposing = "propose" in request.POST
    try:
        data = parsed(form)
        change = None if proposing else _public_change(public_form, affected)
        made = services.state_move(
            actor=request.user,
            source=WEB,
            affected=affected,
            state=state,
            reason=data["reason"],
            consulted=form.consulted_names(),
            evidence=data["evidence"],
            last_recovery_point_at=data["last_recovery_point_at"],
            override_reason=data["override_reason"],
            public=change,
            propose=proposing,
        )
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            _failed_form(exc, form, public_form),
            lambda: _move_page(request, incident, disaster, affected, state, form, public_form),
        )
    label = rules.state_label(state)
    if isinstance(made, Proposal):
        messages.success(request, f"Proposed: {affected.system.name} → {label}.")
    else:
        messages.success(request, f"{affected.system.name} is now {label}.")
    return redirect(_room_url(incident, f"system-{affected.pk}"))


@login_required
@web_errors
def proposal_accept(request, reference: str, proposal_id: int):
    """Accepting a proposal makes its move: the decision-maker reviews the public change first."""
    incident, disaster = _disaster(request, reference)
    proposal = _proposal(disaster, proposal_id)
    affected = proposal.affected
    public_form = _public_form(request, disaster, affected, proposal.to_state)
    initial = {
        "reason": proposal.reason,
        "consulted": ", ".join(proposal.consulted),
        "evidence": proposal.evidence,
    }
    if request.method != "POST":
        form = MoveForm(initial=initial)
        return _move_page(
            request, incident, disaster, affected, proposal.to_state, form, public_form, proposal
        )
    form = MoveForm(request.POST)
    try:
        parsed(form)
        services.proposal_accept(
            actor=request.user,
            source=WEB,
            proposal=proposal,
            public=_public_change(public_form, affected),
            note=request.POST.get("note", ""),
        )
    except IncidentDeskError as exc:
        return form_failed(
            request,
            exc,
            _failed_form(exc, form, public_form),
            lambda: _move_page(
                request,
                incident,
                disaster,
                affected,
                proposal.to_state,
                form,
                public_form,
                proposal,
            ),
        )
    label = rules.state_label(proposal.to_state)
    messages.success(request, f"Accepted: {affected.system.name} is now {label}.")
    return redirect(_room_url(incident, f"system-{affected.pk}"))


@login_required
@require_POST
@web_errors
def proposal_decline(request, reference: str, proposal_id: int):
    key = f"p{proposal_id}"

    def write(disaster, data):
        proposal = _proposal(disaster, proposal_id)
        services.proposal_decline(
            actor=request.user, source=WEB, proposal=proposal, note=data["note"]
        )

    form = NoteForm(request.POST, prefix=key)
    return _room_write(request, reference, key, form, write, "Proposal declined.")


# Runbook steps --------------------------------------------------------------------------------


@login_required
@require_POST
@web_errors
def step_update(request, reference: str, step_id: int):
    key = f"s{step_id}"

    def write(disaster, data):
        step = _step(disaster, step_id)
        runbooks.step_update(actor=request.user, source=WEB, step=step, **data)

    form = StepForm(request.POST, prefix=key)
    return _room_write(request, reference, key, form, write, "Step updated.", f"step-{step_id}")


@login_required
@require_POST
@web_errors
def step_assign(request, reference: str, step_id: int):
    key = f"o{step_id}"

    def write(disaster, data):
        step = _step(disaster, step_id)
        runbooks.step_assign(actor=request.user, source=WEB, step=step, owner=data["owner"])

    form = AssignForm(request.POST, prefix=key)
    return _room_write(request, reference, key, form, write, "Owner changed.", f"step-{step_id}")


@login_required
@require_POST
@web_errors
def step_run(request, reference: str, step_id: int):
    incident, disaster = _disaster(request, reference)
    step = _step(disaster, step_id)
    runbooks.step_run(actor=request.user, source=WEB, step=step)
    messages.success(request, f"Step {step.position} is running: its webhook is being called.")
    return redirect(_room_url(incident, f"step-{step_id}"))


# The disaster as a whole ----------------------------------------------------------------------


@login_required
@require_POST
@web_errors
def add_system(request, reference: str):
    def write(disaster, data):
        services.disaster_add_system(
            actor=request.user, source=WEB, disaster=disaster, system=data["system"]
        )

    form = AddSystemForm(request.POST, prefix="add")
    return _room_write(request, reference, "add", form, write, "System added.")


@login_required
@require_POST
@web_errors
def planned_work(request, reference: str):
    def write(disaster, data):
        services.planned_work_stop(actor=request.user, source=WEB, disaster=disaster, **data)

    form = PlannedWorkForm(request.POST, prefix="planned")
    return _room_write(
        request, reference, "planned", form, write, "Planned work stopped.", "planned-work"
    )


@login_required
@require_POST
@web_errors
def business_resume(request, reference: str):
    def write(disaster, data):
        services.business_resume(
            actor=request.user, source=WEB, disaster=disaster, note=data["note"]
        )

    form = NoteForm(request.POST, prefix="resume")
    return _room_write(
        request, reference, "resume", form, write, "Business as usual resumed.", "planned-work"
    )


# The incident page's "Escalate to a disaster" -------------------------------------------------


def _escalate_page(request, incident, form, *, status: int = 200):
    context = {
        "incident": incident,
        "form": form,
        "has_systems": bool(form.fields["systems"].choices),
        "disaster": selectors.disaster_for_incident(incident),
    }
    return render(request, "recovery/escalate.html", context, status=status)


@login_required
@web_errors
def escalate(request, reference: str):
    """Escalate the incident to a disaster (or a drill): its systems, the decision-maker, the
    planned work it stops."""
    incident = load_incident(request, reference)
    if request.method != "POST":
        return _escalate_page(request, incident, EscalateForm())
    form = EscalateForm(request.POST)
    try:
        data = parsed(form)
        disaster = services.disaster_declare(
            actor=request.user,
            source=WEB,
            incident=incident,
            systems=data["systems"],
            decision_maker=data["decision_maker"] or None,
            drill=data["drill"],
            planned_work=data["planned_work"],
            planned_work_url=data["planned_work_url"],
        )
    except IncidentDeskError as exc:
        return form_failed(
            request, exc, form, lambda: _escalate_page(request, incident, form, status=422)
        )
    kind = "A drill" if disaster.drill else "A disaster"
    messages.success(request, f"{kind} is declared: this is its control room.")
    return redirect(_room_url(incident))

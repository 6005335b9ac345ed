"""Every write of a disaster: declaring one, the systems it affects, the moves of their states
(the decision-maker's alone; anyone else proposes), the planned work it stops and the return to
business as usual.

The decision-maker is the holder of the incident's `decision_maker` role (`decision_maker_of`):
declaring assigns it, handing it over is `role_assign` again. Each write is one transaction
with its timeline entry (by the system, so chat and the live timeline hear of it); a refusal
names the field and writes nothing. Someone who may not see a restricted incident is told
there is no such incident.
"""

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require, require_writer
from incidentdesk.accounts.services import person_lookup
from incidentdesk.core.checks import check_link_url, check_text
from incidentdesk.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from incidentdesk.core.moments import check_moment
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    EntryKind,
    Incident,
    IncidentRole,
    IncidentStatus,
    RoleAssignment,
)
from incidentdesk.incidents.permissions import can_see
from incidentdesk.incidents.rules import FUTURE_TOLERANCE
from incidentdesk.incidents.services.roles import role_assign
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.postmortems.models import Postmortem, PostmortemStatus
from incidentdesk.recovery import public as public_side
from incidentdesk.recovery import rules, runbooks
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    ProposalStatus,
    StateChange,
    SystemState,
)
from incidentdesk.recovery.selectors import decision_maker_of
from incidentdesk.recovery.systems import system_lookup

REASON_MAX = 2000
EVIDENCE_MAX = 5000
NOTE_MAX = 2000
CONSULTED_MAX = 20
CONSULTED_NAME_MAX = 100
PLANNED_WORK_MAX = 200
MAX_SYSTEMS = 50


# -- who decides --------------------------------------------------------------------------------


def _check_visible(actor, incident: Incident) -> None:
    if not can_see(actor, incident):
        raise NotFound(f"there is no incident {incident.reference}", field="incident")


def _check_decision_maker(actor, disaster: Disaster, what: str) -> User:
    """Refuse anyone but the decision-maker (403, naming them)."""
    require_writer(actor)
    _check_visible(actor, disaster.incident)
    holder = decision_maker_of(disaster)
    if holder is None or getattr(actor, "pk", None) != holder.pk:
        who = holder.display_name if holder else "nobody yet"
        raise PermissionDenied(f"only the decision-maker, {who}, {what}", field="decision_maker")
    return holder


def _check_not_over(disaster: Disaster) -> None:
    if disaster.resumed_at is not None:
        raise InvalidTransition(
            "business as usual has resumed: this disaster is over", field="disaster"
        )


def _lock_affected(affected: AffectedSystem) -> AffectedSystem:
    """The affected system's row, locked until the transaction ends, so two moves of one
    system happen one after the other, each from the state the other left."""
    return (
        AffectedSystem.objects.select_for_update(of=("self",))
        .select_related("system", "disaster__incident")
        .get(pk=affected.pk)
    )


# -- declaring ----------------------------------------------------------------------------------


def _systems(values) -> list:
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple):
        raise ValidationError("give a list of systems", field="systems")
    if not values:
        raise ValidationError("name at least one affected system", field="systems")
    if len(values) > MAX_SYSTEMS:
        raise ValidationError(f"at most {MAX_SYSTEMS} systems", field="systems")
    found: dict[int, Any] = {}
    for value in values:
        try:
            system = system_lookup(value)
        except ValidationError as exc:
            raise ValidationError(exc.message, field="systems") from None
        found.setdefault(system.pk, system)
    return list(found.values())


def _interrupted_at(value, incident: Incident) -> datetime:
    now = timezone.now()
    if value is None:
        return incident.started_at or now
    check_moment(value, field="interrupted_at")
    if value > now + FUTURE_TOLERANCE:
        raise ValidationError("cannot be in the future", field="interrupted_at")
    return value


def _planned_work(name, url) -> tuple[str, str]:
    name = check_text(name, field="planned_work", max_length=PLANNED_WORK_MAX)
    url = check_link_url(url, "planned_work_url")
    if url and not name:
        raise ValidationError("name the planned work the link is to", field="planned_work")
    return name, url


def _decision_maker(value, disaster_incident: Incident, systems: list) -> User:
    """The one given; else whoever already holds the role on the incident; else the first
    system's owner."""
    if value is not None and value != "":
        return person_lookup(value, field="decision_maker")
    held = RoleAssignment.objects.filter(
        incident=disaster_incident, role=IncidentRole.DECISION_MAKER, ended_at__isnull=True
    ).first()
    return held.user if held else systems[0].owner


def disaster_declare(
    *,
    actor: User,
    source: ActionSource,
    incident: Incident,
    systems,
    decision_maker=None,
    drill: bool = False,
    planned_work: str = "",
    planned_work_url: str = "",
    interrupted_at: datetime | None = None,
) -> Disaster:
    """Escalate an open incident to a disaster (or a drill of one) affecting `systems` (each
    operational, in the order given, with its runbook copied), under one decision-maker: the
    one named, else the role's current holder, else the first system's owner; the role is
    assigned (announced like every role change). Planned work named is recorded as stopped
    now, by the actor. One `decision` entry says all of it."""
    require(actor, Perm.DISASTER_DECLARE)
    _check_visible(actor, incident)
    if not isinstance(drill, bool):
        raise ValidationError("must be true or false", field="drill")
    chosen = _systems(systems)
    planned_work, planned_work_url = _planned_work(planned_work, planned_work_url)
    interrupted = _interrupted_at(interrupted_at, incident)
    now = timezone.now()
    with transaction.atomic():
        incident = Incident.objects.select_for_update(of=("self",)).get(pk=incident.pk)
        if incident.status == IncidentStatus.CLOSED:
            raise InvalidTransition("a closed incident cannot become a disaster", field="incident")
        if Disaster.objects.filter(incident=incident).exists():
            raise InvalidTransition(f"{incident.reference} is already a disaster", field="incident")
        holder = _decision_maker(decision_maker, incident, chosen)
        disaster = Disaster.objects.create(
            incident=incident,
            drill=drill,
            declared_at=now,
            declared_by=actor,
            interrupted_at=interrupted,
            planned_work=planned_work,
            planned_work_url=planned_work_url,
            planned_work_stopped_at=now if planned_work else None,
            planned_work_stopped_by=actor if planned_work else None,
        )
        for position, system in enumerate(chosen, start=1):
            affected = AffectedSystem.objects.create(
                disaster=disaster, system=system, position=position, state_changed_at=now
            )
            runbooks.runbook_instantiate(affected)
        names = ", ".join(system.name for system in chosen)
        body = (
            f"Declared a {'drill of a ' if drill else ''}disaster. Systems: {names}. "
            f"Decision-maker: {holder.display_name}."
        )
        if planned_work:
            body += f" Planned work {planned_work} stopped."
        record_entry(
            incident=incident,
            kind=EntryKind.DECISION,
            body=body,
            actor=actor,
            source=source,
            data={
                "disaster": disaster.pk,
                "drill": drill,
                "systems": [system.name for system in chosen],
                "decision_maker": holder.username,
                "planned_work": planned_work,
            },
        )
        if decision_maker_of(disaster) != holder:
            role_assign(
                actor=actor,
                source=source,
                incident=incident,
                role=IncidentRole.DECISION_MAKER,
                user=holder,
            )
    return disaster


def disaster_add_system(
    *, actor: User, source: ActionSource, disaster: Disaster, system
) -> AffectedSystem:
    """The decision-maker adds a system to the disaster: operational, last in order, with its
    runbook copied. A system already affected is refused naming `system`."""
    _check_decision_maker(actor, disaster, "adds a system to the disaster")
    system = system_lookup(system)
    with transaction.atomic():
        disaster = (
            Disaster.objects.select_for_update(of=("self",))
            .select_related("incident")
            .get(pk=disaster.pk)
        )
        _check_not_over(disaster)
        if disaster.systems.filter(system=system).exists():
            raise ValidationError(f"{system.name} is already affected", field="system")
        last = disaster.systems.order_by("-position").values_list("position", flat=True).first()
        affected = AffectedSystem.objects.create(
            disaster=disaster, system=system, position=(last or 0) + 1
        )
        runbooks.runbook_instantiate(affected)
        record_entry(
            incident=disaster.incident,
            kind=EntryKind.DECISION,
            body=f"{system.name} joins the disaster.",
            actor=actor,
            source=source,
            data={"disaster": disaster.pk, "system": system.name},
        )
    return affected


# -- moving a system's state --------------------------------------------------------------------


def _state(value) -> str:
    if not isinstance(value, str) or value.strip().lower() not in SystemState.values:
        raise ValidationError(
            f"unknown state {value!r}; use one of {', '.join(SystemState.values)}", field="state"
        )
    return value.strip().lower()


def _consulted(values) -> list[str]:
    if values is None:
        return []
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple):
        raise ValidationError("give a list of names", field="consulted")
    if len(values) > CONSULTED_MAX:
        raise ValidationError(f"at most {CONSULTED_MAX} names", field="consulted")
    return [
        check_text(name, field="consulted", max_length=CONSULTED_NAME_MAX, required=True)
        for name in values
    ]


def _words(reason, consulted, evidence) -> dict:
    """The words a move rests on, checked: why, who was consulted, the evidence."""
    return {
        "reason": check_text(reason, field="reason", max_length=REASON_MAX, required=True),
        "consulted": _consulted(consulted),
        "evidence": check_text(evidence, field="evidence", max_length=EVIDENCE_MAX),
    }


def _recovery_point(value) -> datetime | None:
    if value is None:
        return None
    check_moment(value, field="last_recovery_point_at")
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise ValidationError("cannot be in the future", field="last_recovery_point_at")
    return value


def _check_allowed(affected: AffectedSystem, state: str) -> None:
    if not rules.move_allowed(affected.state, state):
        raise InvalidTransition(rules.refusal(affected.state, state), field="state")


def _move_body(affected: AffectedSystem, from_state: str, to_state: str, words: dict) -> str:
    body = (
        f"{affected.system.name}: {rules.state_label(from_state)} → "
        f"{rules.state_label(to_state)}. {words['reason']}"
    )
    if words["consulted"]:
        body += f" Consulted: {', '.join(words['consulted'])}."
    if words["evidence"]:
        body += f" Evidence: {words['evidence']}"
    return body


def _apply_move(
    *,
    actor: User,
    source: ActionSource,
    affected: AffectedSystem,
    state: str,
    words: dict,
    recovery_point: datetime | None = None,
    override_reason: str = "",
    public=None,
    proposal: Proposal | None = None,
) -> StateChange:
    """Move a locked affected system, inside the caller's transaction: the gate before
    `restored`, the state and its times, the change, proposals overtaken, the entry, and the
    public change (never for a drill)."""
    disaster = affected.disaster
    _check_not_over(disaster)
    _check_allowed(affected, state)
    now = timezone.now()
    from_state = affected.state
    overridden = False
    if state == SystemState.RESTORED:
        missing = runbooks.gate_missing(affected)
        if missing and not override_reason:
            steps = "; ".join(f"step {step.position} ({step.title})" for step in missing)
            raise InvalidTransition(
                f"{affected.system.name} cannot be restored before its verification is done "
                f"with evidence: {steps}; or override with a written reason",
                field="state",
            )
        overridden = bool(missing)
        affected.restored_at = now
        affected.gate_override_reason = override_reason if overridden else ""
        affected.gate_override_by = actor if overridden else None
        affected.gate_override_at = now if overridden else None
    elif from_state == SystemState.RESTORED:
        affected.restored_at = None
    affected.state, affected.state_changed_at = state, now
    if recovery_point is not None:
        affected.last_recovery_point_at = recovery_point
    affected.save()
    change = StateChange.objects.create(
        affected=affected,
        from_state=from_state,
        to_state=state,
        decided_by=actor,
        decided_at=now,
        proposal=proposal,
        **words,
    )
    overtaken = affected.proposals.filter(status=ProposalStatus.OPEN)
    if proposal is not None:
        overtaken = overtaken.exclude(pk=proposal.pk)
    overtaken.update(status=ProposalStatus.SUPERSEDED, decided_at=now)
    body = _move_body(affected, from_state, state, words)
    if overridden:
        body += f" Verification gate overridden: {override_reason}"
    if disaster.drill and public is not None:
        body += " (A drill: nothing public changed.)"
    record_entry(
        incident=disaster.incident,
        kind=EntryKind.DECISION,
        body=body,
        actor=actor,
        source=source,
        data={
            "disaster": disaster.pk,
            "system": affected.system.name,
            "from": from_state,
            "to": state,
            "consulted": words["consulted"],
            "evidence": words["evidence"],
            "override": override_reason if overridden else "",
            "proposal": proposal.pk if proposal else None,
        },
    )
    if public is not None and not disaster.drill:
        public_side.public_apply(actor=actor, source=source, affected=affected, change=public)
    return change


def state_move(
    *,
    actor: User,
    source: ActionSource,
    affected: AffectedSystem,
    state: str,
    reason: str,
    consulted=(),
    evidence: str = "",
    last_recovery_point_at: datetime | None = None,
    override_reason: str = "",
    public=None,
    propose: bool = False,
) -> StateChange | Proposal:
    """The decision-maker moves an affected system to `state` (allowed from where it is; see
    rules.ALLOWED), saying why, who was consulted and on what evidence. `restored` waits for
    the verification steps done with evidence, unless `override_reason` says why not (recorded
    and said). Open proposals of the system are overtaken. `public` (a public.PublicChange) is
    applied in the same transaction, except in a drill. Anyone else is refused (403), or with
    `propose` their move is recorded as a proposal and returned."""
    disaster = affected.disaster
    require_writer(actor)
    _check_visible(actor, disaster.incident)
    holder = decision_maker_of(disaster)
    if holder is None or getattr(actor, "pk", None) != holder.pk:
        if propose:
            return proposal_create(
                actor=actor,
                source=source,
                affected=affected,
                state=state,
                reason=reason,
                consulted=consulted,
                evidence=evidence,
            )
        who = holder.display_name if holder else "nobody yet"
        raise PermissionDenied(
            f"only the decision-maker, {who}, moves a system's state; propose the move instead",
            field="decision_maker",
        )
    state = _state(state)
    words = _words(reason, consulted, evidence)
    recovery_point = _recovery_point(last_recovery_point_at)
    override_reason = check_text(override_reason, field="override_reason", max_length=REASON_MAX)
    with transaction.atomic():
        return _apply_move(
            actor=actor,
            source=source,
            affected=_lock_affected(affected),
            state=state,
            words=words,
            recovery_point=recovery_point,
            override_reason=override_reason,
            public=public,
        )


# -- proposals ----------------------------------------------------------------------------------


def proposal_create(
    *,
    actor: User,
    source: ActionSource,
    affected: AffectedSystem,
    state: str,
    reason: str,
    consulted=(),
    evidence: str = "",
) -> Proposal:
    """Anyone who may write the incident's timeline proposes a move the decision-maker may
    make now (refused naming `state` otherwise), with the same words a move takes. A
    `discussion` entry says who proposes what."""
    require(actor, Perm.TIMELINE_WRITE)
    _check_visible(actor, affected.disaster.incident)
    state = _state(state)
    words = _words(reason, consulted, evidence)
    with transaction.atomic():
        affected = _lock_affected(affected)
        _check_not_over(affected.disaster)
        _check_allowed(affected, state)
        proposal = Proposal.objects.create(
            affected=affected,
            from_state=affected.state,
            to_state=state,
            proposed_by=actor,
            **words,
        )
        record_entry(
            incident=affected.disaster.incident,
            kind=EntryKind.DISCUSSION,
            body=f"{actor.display_name} proposes "
            + _move_body(affected, affected.state, state, words),
            actor=actor,
            source=source,
            data={
                "disaster": affected.disaster_id,
                "proposal": proposal.pk,
                "system": affected.system.name,
                "from": affected.state,
                "to": state,
                "consulted": words["consulted"],
                "evidence": words["evidence"],
            },
        )
    return proposal


def _lock_open_proposal(proposal: Proposal) -> tuple[Proposal, AffectedSystem]:
    affected = _lock_affected(proposal.affected)
    proposal = (
        Proposal.objects.select_for_update(of=("self",))
        .select_related("proposed_by")
        .get(pk=proposal.pk)
    )
    if proposal.status != ProposalStatus.OPEN:
        raise InvalidTransition(
            f"this proposal is {proposal.get_status_display().lower()}, no longer open",
            field="proposal",
        )
    return proposal, affected


def proposal_accept(
    *, actor: User, source: ActionSource, proposal: Proposal, public=None, note: str = ""
) -> StateChange:
    """The decision-maker accepts an open proposal: the move is made with its words (the
    gate before `restored` applies), and the change points back to it. A proposal whose
    system has moved since is marked superseded and refused naming `proposal`."""
    disaster = proposal.affected.disaster
    _check_decision_maker(actor, disaster, "accepts a proposal")
    note = check_text(note, field="note", max_length=NOTE_MAX)
    stale = None
    with transaction.atomic():
        proposal, affected = _lock_open_proposal(proposal)
        if proposal.from_state != affected.state:
            proposal.status, proposal.decided_at = ProposalStatus.SUPERSEDED, timezone.now()
            proposal.save(update_fields=["status", "decided_at"])
            stale = (
                f"{affected.system.name} has moved to {affected.state} since it was proposed "
                f"(from {proposal.from_state}); the proposal is superseded"
            )
        else:
            change = _apply_move(
                actor=actor,
                source=source,
                affected=affected,
                state=proposal.to_state,
                words={
                    "reason": proposal.reason,
                    "consulted": proposal.consulted,
                    "evidence": proposal.evidence,
                },
                public=public,
                proposal=proposal,
            )
            proposal.status = ProposalStatus.ACCEPTED
            proposal.decided_by, proposal.decided_at = actor, change.decided_at
            proposal.decision_note = note
            proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
    if stale:  # the superseded mark is kept; the move is refused
        raise InvalidTransition(stale, field="proposal")
    return change


def proposal_decline(
    *, actor: User, source: ActionSource, proposal: Proposal, note: str
) -> Proposal:
    """The decision-maker declines an open proposal, saying why (`note`, required)."""
    disaster = proposal.affected.disaster
    _check_decision_maker(actor, disaster, "declines a proposal")
    note = check_text(note, field="note", max_length=NOTE_MAX, required=True)
    with transaction.atomic():
        proposal, affected = _lock_open_proposal(proposal)
        proposal.status = ProposalStatus.DECLINED
        proposal.decided_by, proposal.decided_at = actor, timezone.now()
        proposal.decision_note = note
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        who = proposal.proposed_by.display_name if proposal.proposed_by else "someone"
        record_entry(
            incident=affected.disaster.incident,
            kind=EntryKind.DECISION,
            body=(
                f"Declined {who}'s proposal {affected.system.name}: "
                f"{rules.state_label(proposal.from_state)} → "
                f"{rules.state_label(proposal.to_state)}. {note}"
            ),
            actor=actor,
            source=source,
            data={
                "disaster": affected.disaster_id,
                "proposal": proposal.pk,
                "system": affected.system.name,
                "declined": True,
            },
        )
    return proposal


# -- planned work and business as usual -----------------------------------------------------------


def planned_work_stop(
    *,
    actor: User,
    source: ActionSource,
    disaster: Disaster,
    planned_work: str,
    planned_work_url: str = "",
) -> Disaster:
    """The decision-maker records the planned work (a sprint, an iteration) the disaster
    stopped, now, once: a second time is refused naming `planned_work`."""
    _check_decision_maker(actor, disaster, "records the planned work stopped")
    name, url = _planned_work(planned_work, planned_work_url)
    if not name:
        raise ValidationError("name the planned work stopped", field="planned_work")
    with transaction.atomic():
        disaster = (
            Disaster.objects.select_for_update(of=("self",))
            .select_related("incident")
            .get(pk=disaster.pk)
        )
        _check_not_over(disaster)
        if disaster.planned_work_stopped_at is not None:
            raise InvalidTransition(
                f"the planned work stopped is already recorded: {disaster.planned_work}",
                field="planned_work",
            )
        disaster.planned_work, disaster.planned_work_url = name, url
        disaster.planned_work_stopped_at, disaster.planned_work_stopped_by = timezone.now(), actor
        disaster.save()
        record_entry(
            incident=disaster.incident,
            kind=EntryKind.DECISION,
            body=f"Planned work {name} stopped for the disaster.",
            actor=actor,
            source=source,
            data={"disaster": disaster.pk, "planned_work": name, "planned_work_url": url},
        )
    return disaster


def _postmortem_published(incident: Incident) -> bool:
    return Postmortem.objects.filter(incident=incident, status=PostmortemStatus.PUBLISHED).exists()


def business_resume(
    *, actor: User, source: ActionSource, disaster: Disaster, note: str = ""
) -> Disaster:
    """The decision-maker resumes business as usual (and the planned work stopped): only
    once the root cause is investigated, i.e. the incident's postmortem is published (409
    naming `postmortem`), and every affected system is back, restored or operational (409
    naming `systems`, listing the others). The disaster is then over."""
    _check_decision_maker(actor, disaster, "resumes business as usual")
    note = check_text(note, field="note", max_length=NOTE_MAX)
    with transaction.atomic():
        disaster = (
            Disaster.objects.select_for_update(of=("self",))
            .select_related("incident")
            .get(pk=disaster.pk)
        )
        _check_not_over(disaster)
        incident = disaster.incident
        if not _postmortem_published(incident):
            raise InvalidTransition(
                f"business as usual resumes only once the root cause is investigated: publish "
                f"the postmortem of {incident.reference} first",
                field="postmortem",
            )
        down = [
            f"{affected.system.name} ({rules.state_label(affected.state)})"
            for affected in disaster.systems.select_related("system")
            if affected.state not in rules.BACK
        ]
        if down:
            raise InvalidTransition(
                f"not every system is back yet: {', '.join(down)}", field="systems"
            )
        disaster.resumed_at, disaster.resumed_by = timezone.now(), actor
        disaster.resume_note = note
        disaster.save(update_fields=["resumed_at", "resumed_by", "resume_note"])
        body = "Business as usual resumed."
        if disaster.planned_work:
            body += f" Planned work {disaster.planned_work} resumes."
        if note:
            body += f" {note}"
        record_entry(
            incident=incident,
            kind=EntryKind.DECISION,
            body=body,
            actor=actor,
            source=source,
            data={"disaster": disaster.pk, "resumed": True, "planned_work": disaster.planned_work},
        )
    return disaster

"""Reads of the recovery domain, in one shape for the API and the CLI's `--json`: a system, a
disaster with its systems (state, allowed moves, runbook, gate, measures) and its proposals;
and the disasters a person may see."""

from django.db.models import Prefetch, QuerySet

from incidentdesk.accounts.models import User
from incidentdesk.incidents.models import Incident, IncidentRole, RoleAssignment
from incidentdesk.recovery import measures, rules
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    RunbookStep,
    RunbookTemplate,
    StepKind,
    StepState,
    System,
)


def _name(user) -> str | None:
    return user.username if user else None


def _seconds(value) -> int | None:
    return int(value.total_seconds()) if value is not None else None


def systems() -> QuerySet[System]:
    return System.objects.select_related("owner").prefetch_related("components", "runbooks")


def system_data(system: System) -> dict:
    """A system of the catalog: owner, objectives, components and runbooks."""
    return {
        "id": system.pk,
        "name": system.name,
        "description": system.description,
        "owner": system.owner.username,
        "rto_minutes": system.rto_minutes,
        "rpo_minutes": system.rpo_minutes,
        "components": [{"id": c.pk, "name": c.name} for c in system.components.all()],
        "runbooks": [{"id": r.pk, "name": r.name} for r in system.runbooks.all()],
    }


def _disasters() -> QuerySet[Disaster]:
    holders = RoleAssignment.objects.filter(
        role=IncidentRole.DECISION_MAKER, ended_at__isnull=True
    ).select_related("user")
    return Disaster.objects.select_related(
        "incident", "declared_by", "planned_work_stopped_by", "resumed_by"
    ).prefetch_related(
        Prefetch("incident__role_history", queryset=holders, to_attr="deciding"),
        Prefetch(
            "systems",
            queryset=AffectedSystem.objects.select_related("system", "gate_override_by")
            .prefetch_related(
                Prefetch("steps", queryset=RunbookStep.objects.select_related("owner")),
                Prefetch(
                    "proposals",
                    queryset=Proposal.objects.select_related("proposed_by", "decided_by"),
                ),
            )
            .order_by("position", "pk"),
        ),
    )


def disasters_for(user) -> QuerySet[Disaster]:
    """The disasters (and drills) of the incidents `user` may see, newest first."""
    return _disasters().filter(incident__in=Incident.objects.visible_to(user))


def disaster_for_incident(incident: Incident) -> Disaster | None:
    return _disasters().filter(incident=incident).first()


def _step_data(step: RunbookStep) -> dict:
    return {
        "id": step.pk,
        "position": step.position,
        "title": step.title,
        "kind": step.kind,
        "standard": step.standard,
        "owner": _name(step.owner),
        "automated": step.automated,
        "state": step.state,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "evidence": step.evidence,
        "evidence_url": step.evidence_url,
        "output": step.output,
        "manual_reason": step.manual_reason,
    }


def _gate_missing(steps: list[RunbookStep]) -> list[int]:
    return [
        s.position
        for s in steps
        if s.kind == StepKind.VERIFICATION
        and not (s.state == StepState.DONE and (s.evidence or s.evidence_url or s.output))
    ]


def _measures(affected: AffectedSystem) -> dict:
    clock = measures.clock(affected)
    return {
        "rto_minutes": affected.system.rto_minutes,
        "rpo_minutes": affected.system.rpo_minutes,
        "recovery_seconds": _seconds(measures.recovery_time(affected)),
        "data_loss_seconds": _seconds(measures.data_loss(affected)),
        "rto_met": measures.rto_met(affected),
        "rpo_met": measures.rpo_met(affected),
        "elapsed_seconds": _seconds(clock["elapsed"]),
        "remaining_seconds": _seconds(clock["remaining"]),
        "over": clock["over"],
        "running": clock["running"],
    }


def _affected_data(affected: AffectedSystem, *, over: bool) -> dict:
    steps = list(affected.steps.all())
    return {
        "id": affected.pk,
        "system": affected.system_id,
        "name": affected.system.name,
        "position": affected.position,
        "state": affected.state,
        "state_changed_at": affected.state_changed_at,
        "allowed_moves": [] if over else list(rules.allowed_moves(affected.state)),
        "restored_at": affected.restored_at,
        "last_recovery_point_at": affected.last_recovery_point_at,
        "gate_override": (
            {
                "reason": affected.gate_override_reason,
                "by": _name(affected.gate_override_by),
                "at": affected.gate_override_at,
            }
            if affected.gate_override_reason
            else None
        ),
        "gate_missing": _gate_missing(steps),
        "progress": {
            "done": sum(s.state in (StepState.DONE, StepState.SKIPPED) for s in steps),
            "total": len(steps),
        },
        "steps": [_step_data(step) for step in steps],
        "measures": _measures(affected),
    }


def _proposal_data(proposal: Proposal, system_name: str) -> dict:
    return {
        "id": proposal.pk,
        "affected": proposal.affected_id,
        "system": system_name,
        "from_state": proposal.from_state,
        "to_state": proposal.to_state,
        "reason": proposal.reason,
        "consulted": proposal.consulted,
        "evidence": proposal.evidence,
        "proposed_by": _name(proposal.proposed_by),
        "proposed_at": proposal.proposed_at,
        "status": proposal.status,
        "decided_by": _name(proposal.decided_by),
        "decided_at": proposal.decided_at,
        "decision_note": proposal.decision_note,
    }


def _decision_maker(disaster: Disaster) -> str | None:
    held = getattr(disaster.incident, "deciding", None)
    if held is None:  # not read through `_disasters`
        held = list(
            RoleAssignment.objects.filter(
                incident_id=disaster.incident_id,
                role=IncidentRole.DECISION_MAKER,
                ended_at__isnull=True,
            ).select_related("user")
        )
    return held[0].user.username if held else None


def disaster_data(disaster: Disaster) -> dict:
    """One disaster as the API and `--json` give it (read it through `disasters_for` or
    `disaster_for_incident`, which fetch what it needs in a few queries)."""
    over = disaster.resumed_at is not None
    affected = list(disaster.systems.all())
    return {
        "id": disaster.pk,
        "incident": {
            "reference": disaster.incident.reference,
            "title": disaster.incident.title,
            "status": disaster.incident.status,
        },
        "drill": disaster.drill,
        "declared_at": disaster.declared_at,
        "declared_by": _name(disaster.declared_by),
        "interrupted_at": disaster.interrupted_at,
        "decision_maker": _decision_maker(disaster),
        "planned_work": disaster.planned_work,
        "planned_work_url": disaster.planned_work_url,
        "planned_work_stopped_at": disaster.planned_work_stopped_at,
        "planned_work_stopped_by": _name(disaster.planned_work_stopped_by),
        "resumed_at": disaster.resumed_at,
        "resumed_by": _name(disaster.resumed_by),
        "resume_note": disaster.resume_note,
        "systems": [_affected_data(a, over=over) for a in affected],
        "proposals": [
            _proposal_data(p, a.system.name) for a in affected for p in a.proposals.all()
        ],
    }


def decision_maker_of(disaster: Disaster) -> User | None:
    """The disaster's decision-maker: whoever holds the incident's decision-maker role now."""
    held = (
        RoleAssignment.objects.filter(
            incident_id=disaster.incident_id,
            role=IncidentRole.DECISION_MAKER,
            ended_at__isnull=True,
        )
        .select_related("user")
        .first()
    )
    return held.user if held else None


def runbook_data(template: RunbookTemplate) -> dict:
    """A runbook and its steps, as the API answers and `--json` prints it."""
    return {
        "id": template.pk,
        "name": template.name,
        "description": template.description,
        "system": template.system.name if template.system else None,
        "steps": [
            {
                "position": step.position,
                "title": step.title,
                "kind": step.kind,
                "standard": step.standard,
                "owner": step.owner.username if step.owner else None,
                "webhook_url": step.webhook_url,
            }
            for step in template.steps.all()
        ],
    }

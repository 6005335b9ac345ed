"""What a disaster adds to its incident's postmortem facts: drill or not, the decision-maker,
each system's recovery time against its RTO and data lost against its RPO, any verification
gate overridden and why, and the planned work stopped and resumed. Registered with the
postmortems' facts registry (postmortems/facts.py) from `registrations.register()`."""

from datetime import timedelta

from incidentdesk.core.reporting import report_time
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.rules import format_duration
from incidentdesk.postmortems import facts as postmortem_facts
from incidentdesk.postmortems.facts import Fact
from incidentdesk.recovery import measures
from incidentdesk.recovery.models import AffectedSystem, Disaster
from incidentdesk.recovery.rules import state_label
from incidentdesk.recovery.services import decision_maker_of


def _against(measured: timedelta, objective: timedelta, name: str, met: bool | None) -> str:
    """`2 hours against an RTO of 4 hours: met`, or `…: missed by 30 minutes`."""
    verdict = "met" if met else f"missed by {format_duration(measured - objective)}"
    return (
        f"{format_duration(measured)} against an {name} of {format_duration(objective)}: {verdict}"
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _name(user) -> str:
    return user.display_name if user else "someone no longer known"


def _recovery(affected: AffectedSystem) -> str:
    rto = timedelta(minutes=affected.system.rto_minutes)
    measured = measures.recovery_time(affected)
    if measured is None:
        return f"not restored ({state_label(affected.state).lower()}); RTO {format_duration(rto)}"
    return _against(measured, rto, "RTO", measures.rto_met(affected))


def _data_lost(affected: AffectedSystem) -> str:
    rpo = timedelta(minutes=affected.system.rpo_minutes)
    measured = measures.data_loss(affected)
    if measured is None:
        return f"unknown (no recovery point recorded); RPO {format_duration(rpo)}"
    return _against(measured, rpo, "RPO", measures.rpo_met(affected))


def _system_facts(affected: AffectedSystem) -> list[Fact]:
    name = affected.system.name
    facts = [
        Fact(f"Recovery time of {name}", _recovery(affected)),
        Fact(f"Data lost by {name}", _data_lost(affected)),
    ]
    if affected.gate_override_reason:
        facts.append(
            Fact(
                f"Verification gate of {name}",
                f"overridden by {_name(affected.gate_override_by)} at "
                f"{report_time(affected.gate_override_at)}: "
                f"{_one_line(affected.gate_override_reason)}",
            )
        )
    return facts


def _planned_work(disaster: Disaster) -> str:
    if not disaster.planned_work:
        return "none recorded"
    link = f" ({disaster.planned_work_url})" if disaster.planned_work_url else ""
    when = report_time(disaster.planned_work_stopped_at)
    return f"{_one_line(disaster.planned_work)}{link} stopped at {when} by " + _name(
        disaster.planned_work_stopped_by
    )


def _business_as_usual(disaster: Disaster) -> str:
    if disaster.resumed_at is None:
        return "not resumed yet"
    return f"resumed at {report_time(disaster.resumed_at)} by {_name(disaster.resumed_by)}"


def disaster_facts(incident: Incident) -> list[Fact]:
    """The disaster's facts, or none when the incident never became a disaster."""
    disaster = (
        Disaster.objects.select_related("planned_work_stopped_by", "resumed_by")
        .filter(incident=incident)
        .first()
    )
    if disaster is None:
        return []
    decision_maker = decision_maker_of(disaster)
    facts = [
        Fact(
            "Disaster",
            f"{'a drill' if disaster.drill else 'yes'}, declared at "
            f"{report_time(disaster.declared_at)}; service interrupted at "
            f"{report_time(disaster.interrupted_at)}",
        ),
        Fact("Decision-maker", decision_maker.display_name if decision_maker else "none"),
    ]
    for affected in disaster.systems.select_related("system", "gate_override_by"):
        affected.disaster = disaster  # the measures read its interruption
        facts += _system_facts(affected)
    facts += [
        Fact("Planned work", _planned_work(disaster)),
        Fact("Business as usual", _business_as_usual(disaster)),
    ]
    return facts


def register() -> None:
    postmortem_facts.register(disaster_facts)

"""What the doors of disaster recovery (CLI, command language) read the same way before calling
a recovery service: an incident's disaster, one of its systems as typed, a runbook step by its
number, a proposal by its id, a runbook by its id or name, and a state as people write it
(`read-only`, `Read only`, `read_only`)."""

from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents.models import Incident
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    RunbookStep,
    RunbookTemplate,
)


def state_word(text: str) -> str:
    """`Read-only`, `read only` → `read_only`; anything else as typed, lower case (the service
    refuses a state that is none, listing the states)."""
    word = " ".join((text or "").split()).lower().replace("-", "_").replace(" ", "_")
    return "read_only" if word == "readonly" else word


def disaster_of(incident: Incident, *, field: str = "incident") -> Disaster:
    """The disaster `incident` became, or NotFound naming `field`."""
    disaster = Disaster.objects.filter(incident=incident).select_related("incident").first()
    if disaster is None:
        raise NotFound(f"{incident.reference} is not a disaster; declare one first", field=field)
    return disaster


def affected_systems(disaster: Disaster) -> list[AffectedSystem]:
    return list(disaster.systems.select_related("system").order_by("position", "pk"))


def _names(found: list[AffectedSystem]) -> str:
    return ", ".join(a.system.name for a in found) or "none"


def affected_of(disaster: Disaster, value, *, field: str = "system") -> AffectedSystem:
    """The disaster's affected system named `value` (its name in any case, or the system's
    id), or NotFound naming `field` and listing the disaster's systems."""
    text = refuse_unsafe_characters(str(value or "").strip(), field=field)
    found = affected_systems(disaster)
    for affected in found:
        if affected.system.name.lower() == text.lower() or str(affected.system_id) == text:
            return affected
    raise NotFound(f"{text!r} is not one of this disaster's systems ({_names(found)})", field=field)


def only_affected(disaster: Disaster, *, field: str = "system") -> AffectedSystem:
    """The disaster's one system; with several, refused naming `field` and listing them."""
    found = affected_systems(disaster)
    if len(found) == 1:
        return found[0]
    raise ValidationError(
        f"this disaster has several systems ({_names(found)}); say which", field=field
    )


def step_of(affected: AffectedSystem, number, *, field: str = "step") -> RunbookStep:
    """Step `number` (its position, 1 first) of the affected system's runbook."""
    text = str(number).strip().lstrip("#")
    steps = list(affected.steps.order_by("position"))
    if text.isascii() and text.isdigit():
        for step in steps:
            if step.position == int(text):
                return step
    span = f"1 to {len(steps)}" if steps else "none"
    raise NotFound(
        f"{affected.system.name}'s runbook has no step {number!r} (its steps: {span})",
        field=field,
    )


def proposal_of(disaster: Disaster, number, *, field: str = "proposal") -> Proposal:
    """The disaster's proposal with id `number` (`#12` also taken)."""
    text = str(number).strip().lstrip("#")
    proposal = None
    if text.isascii() and text.isdigit():
        proposal = (
            Proposal.objects.filter(pk=int(text), affected__disaster=disaster)
            .select_related("affected__system")
            .first()
        )
    if proposal is None:
        raise NotFound(f"this disaster has no proposal {number!r}", field=field)
    return proposal


def runbook_lookup(value, *, field: str = "runbook") -> RunbookTemplate:
    """A runbook template by its id or its name (any case)."""
    text = refuse_unsafe_characters(str(value or "").strip(), field=field)
    found = RunbookTemplate.objects.filter(name__iexact=text).first()
    if found is None and text.isascii() and text.isdigit():
        found = RunbookTemplate.objects.filter(pk=int(text)).first()
    if found is None:
        raise NotFound(f"no runbook {text!r}", field=field)
    return found


def split_system(
    disaster: Disaster, text: str, *, field: str = "system"
) -> tuple[AffectedSystem, str]:
    """The command language's `<system> <rest>`: a "quoted" name, else the longest of the
    disaster's system names the text starts with (names may hold spaces), else the first
    word. Returns the affected system and the rest of the text."""
    text = text.strip()
    if text.startswith('"'):
        end = text.find('"', 1)
        if end > 0:
            return affected_of(disaster, text[1:end], field=field), text[end + 1 :].strip()
    lowered = text.lower()
    for affected in sorted(affected_systems(disaster), key=lambda a: -len(a.system.name)):
        name = affected.system.name.lower()
        if lowered == name or lowered.startswith(name + " "):
            return affected, text[len(name) :].strip()
    first, _, rest = text.partition(" ")
    return affected_of(disaster, first, field=field), rest.strip()

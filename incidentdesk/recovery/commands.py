"""The `disaster` command of the command language (incidents/commands.py), registered from
registrations.register():

    disaster <system>[, <system>…] [decision-maker @person] [drill]   declare on this incident
    disaster state <system> <state> <reason> [| consulted: Ada, Bob] [| evidence: …]
                                                   move a system (the decision-maker)
    disaster propose <system> <state> <reason> […]   propose a move to the decision-maker
    disaster accept <proposal>                     accept a proposal (its id): the move is made
    disaster decline <proposal> <note>             decline it, saying why
    disaster step [<system>] <n> <state> <evidence>   a runbook step: done, failed, skipped…
    disaster resume [note]                         business as usual again

A system's name may hold spaces (`disaster state Billing API offline …`) or be "quoted". A word
of the first list (state, propose…) is read as that sub-command, never as a system's name.
The public side of a move is not changed from here: the control room and the CLI offer it.
"""

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents.commands import CommandCall, CommandResult, CommandSpec, register
from incidentdesk.recovery import doors, runbooks, services
from incidentdesk.recovery.models import Disaster, Proposal

USAGE = (
    "disaster <system>[, <system>…] [decision-maker @person] [drill] | "
    "state|propose <system> <state> <reason> | accept <proposal> | decline <proposal> <note> | "
    "step [<system>] <n> <state> <evidence> | resume [note]"
)


def _usage(what: str) -> ValidationError:
    return ValidationError(f"usage: disaster {what}", field="text")


def _declare(call: CommandCall, text: str) -> str:
    """`Billing, Search API decision-maker @ada drill`: the systems, then the options."""
    words = text.split()
    drill = bool(words) and words[-1].lower() == "drill"
    if drill:
        words = words[:-1]
    decision_maker = None
    lowered = [w.lower() for w in words]
    for marker in ("decision-maker", "decision_maker", "dm"):
        if marker in lowered:
            at = lowered.index(marker)
            if at + 1 >= len(words):
                raise _usage("<system>[, <system>…] decision-maker @person [drill]")
            decision_maker = words[at + 1].lstrip("@")
            words = words[:at] + words[at + 2 :]
            break
    names = [name.strip().strip('"') for name in " ".join(words).split(",") if name.strip()]
    if not names:
        raise _usage("<system>[, <system>…] [decision-maker @person] [drill]")
    disaster = services.disaster_declare(
        actor=call.actor,
        source=call.source,
        incident=call.incident,
        systems=names,
        decision_maker=decision_maker,
        drill=drill,
    )
    maker = services.decision_maker_of(disaster)
    kind = "A drill" if disaster.drill else "A disaster"
    systems = ", ".join(a.system.name for a in doors.affected_systems(disaster))
    who = maker.username if maker else "nobody"
    return f"{kind} is declared: {systems}. The decision-maker is {who}."


def _reasons(text: str) -> dict:
    """`<reason> | consulted: Ada, Bob | evidence: <text>`: the reason, then optionally who
    was consulted (comma-separated) and the evidence, each after a ` | `."""
    reason, *parts = text.split(" | ")
    found: dict = {"reason": reason.strip(), "consulted": [], "evidence": ""}
    for part in parts:
        label, colon, value = part.partition(":")
        label = label.strip().lower()
        if not colon or label not in ("consulted", "evidence"):
            raise ValidationError(
                f"{part.strip()!r}: after the reason, write '| consulted: Ada, Bob' or "
                "'| evidence: <text>'",
                field="text",
            )
        if label == "consulted":
            found["consulted"] = [n.strip() for n in value.split(",") if n.strip()]
        else:
            found["evidence"] = value.strip()
    return found


def _move(call: CommandCall, disaster: Disaster, text: str, *, propose: bool) -> str:
    word = "propose" if propose else "state"
    if not text:
        raise _usage(f"{word} <system> <state> <reason>")
    affected, rest = doors.split_system(disaster, text)
    state, _, words = rest.partition(" ")
    if not state:
        raise _usage(f"{word} <system> <state> <reason>")
    kwargs = dict(
        actor=call.actor,
        source=call.source,
        affected=affected,
        state=doors.state_word(state),
        **_reasons(words),
    )
    if propose:
        proposal = services.proposal_create(**kwargs)
        return (
            f"Proposal {proposal.pk}: {affected.system.name} {proposal.from_state} → "
            f"{proposal.to_state}, for the decision-maker to accept or decline."
        )
    change = services.state_move(**kwargs)
    return f"{affected.system.name}: {change.from_state} → {change.to_state}."


def _proposal(disaster: Disaster, text: str, what: str) -> tuple[Proposal, str]:
    number, _, rest = text.partition(" ")
    if not number:
        raise _usage(what)
    return doors.proposal_of(disaster, number, field="text"), rest.strip()


def _accept(call: CommandCall, disaster: Disaster, text: str) -> str:
    proposal, note = _proposal(disaster, text, "accept <proposal>")
    change = services.proposal_accept(
        actor=call.actor, source=call.source, proposal=proposal, note=note
    )
    return (
        f"Proposal {proposal.pk} is accepted. "
        f"{proposal.affected.system.name}: {change.from_state} → {change.to_state}."
    )


def _decline(call: CommandCall, disaster: Disaster, text: str) -> str:
    proposal, note = _proposal(disaster, text, "decline <proposal> <note>")
    services.proposal_decline(actor=call.actor, source=call.source, proposal=proposal, note=note)
    return f"Proposal {proposal.pk} is declined."


def _step(call: CommandCall, disaster: Disaster, text: str) -> str:
    """`2 done restored from the 03:00 snapshot`, or with the system first when the disaster
    has several: `Billing 2 done …`."""
    what = "step [<system>] <n> <state> <evidence>"
    first = text.split(" ", 1)[0]
    if first.isascii() and first.lstrip("#").isdigit():
        affected, rest = doors.only_affected(disaster, field="text"), text
    elif text:
        affected, rest = doors.split_system(disaster, text, field="text")
    else:
        raise _usage(what)
    parts = rest.split(" ", 2)
    if len(parts) < 2:
        raise _usage(what)
    step = doors.step_of(affected, parts[0], field="text")
    state = parts[1].lower()
    evidence = parts[2].strip() if len(parts) > 2 else ""
    step = runbooks.step_update(
        actor=call.actor, source=call.source, step=step, state=state, evidence=evidence
    )
    return f"{affected.system.name}, step {step.position} ({step.title}): {step.state}."


def _resume(call: CommandCall, disaster: Disaster, text: str) -> str:
    services.business_resume(actor=call.actor, source=call.source, disaster=disaster, note=text)
    return "Business as usual is resumed."


ACTIONS = {
    "state": lambda call, disaster, text: _move(call, disaster, text, propose=False),
    "propose": lambda call, disaster, text: _move(call, disaster, text, propose=True),
    "accept": _accept,
    "decline": _decline,
    "step": _step,
    "resume": _resume,
}


def disaster_command(call: CommandCall) -> CommandResult:
    text = refuse_unsafe_characters(call.argument.strip(), field="text")
    word, _, rest = text.partition(" ")
    action = ACTIONS.get(word.lower())
    if action is None:
        return CommandResult(_declare(call, text), call.incident)
    disaster = doors.disaster_of(call.incident, field="text")
    return CommandResult(action(call, disaster, rest.strip()), call.incident)


register(
    CommandSpec(
        "disaster",
        "systems | sub-command …",
        True,
        "escalate to a disaster of the systems named [decision-maker @person] [drill]; then "
        "state, propose, accept, decline, step, resume (docs/disaster.md)",
        disaster_command,
        None,  # the services decide: declaring, deciding, proposing and steps differ
        order=145,  # after `statuspage`, before `resolve`
    )
)

import dataclasses
import sys
from datetime import timedelta
from pathlib import Path

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE, format_when, parse_when
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.management.render import incident_or_error
from incidentdesk.incidents.rules import format_duration
from incidentdesk.recovery import doors, public, runbooks, selectors, services
from incidentdesk.recovery.management.flags import named_by
from incidentdesk.recovery.models import Proposal, StateChange, StepState

REF_HELP = "the incident's reference, e.g. INC-2026-0042"
# The option each service field is typed as (`error: --reason: …`).
FLAGS = {
    "incident": "REF",
    "reference": "REF",
    "systems": "--system",
    "system": "SYSTEM",
    "decision_maker": "--decision-maker",
    "planned_work": "--planned-work",
    "planned_work_url": "--planned-work-url",
    "interrupted_at": "--interrupted-at",
    "state": "STATE",
    "reason": "--reason",
    "consulted": "--consulted",
    "evidence": "--evidence",
    "evidence_url": "--evidence-url",
    "output": "--output",
    "manual_reason": "--manual-reason",
    "last_recovery_point_at": "--recovery-point",
    "override_reason": "--override",
    "public": "--public",
    "public.maintenance.until": "--maintenance-until",
    "note": "--note",
    "owner": "--owner",
    "proposal": "PROPOSAL",
    "step": "STEP",
}
# Where an action names a field differently.
ACTION_FLAGS = {
    "planned-work": {"planned_work": "NAME", "planned_work_url": "--url"},
    "step": {"system": "--system"},
    "run": {"system": "--system"},
}


class Command(CliCommand):
    help = (
        "A disaster on an incident: declare | list | show | preview | state | propose | accept | "
        "decline | step | run | add-system | planned-work | resume."
    )

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        declare = actions.add_parser(
            "declare", help="escalate an incident to a disaster (or a drill of one)"
        )
        declare.add_argument("reference", metavar="REF", help=REF_HELP)
        declare.add_argument(
            "--system",
            action="append",
            default=[],
            metavar="SYSTEM",
            help="an affected system, by name or id (repeat; at least one)",
        )
        declare.add_argument(
            "--decision-maker",
            metavar="USERNAME",
            help="who alone moves the systems' states (default: the first system's owner)",
        )
        declare.add_argument("--drill", action="store_true", help="a rehearsal: nothing public")
        declare.add_argument(
            "--planned-work", default="", metavar="NAME", help="the sprint or iteration stopped"
        )
        declare.add_argument("--planned-work-url", default="", metavar="URL")
        declare.add_argument(
            "--interrupted-at",
            metavar="TIME",
            help="when service was interrupted (default: the incident's start, else now)",
        )
        declare.add_argument("--json", action="store_true", help="print the disaster as JSON")
        self.add_actor_argument(declare)

        listing = actions.add_parser("list", help="the disasters you may see, newest first")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        show = actions.add_parser("show", help="one disaster: systems, runbooks, proposals")
        show.add_argument("reference", metavar="REF", help=REF_HELP)
        show.add_argument("--json", action="store_true")
        self.add_actor_argument(show)

        preview = actions.add_parser("preview", help="the public change a move would offer")
        self._add_move(preview)
        preview.add_argument("--json", action="store_true")
        self.add_actor_argument(preview)

        state = actions.add_parser("state", help="move a system's state (the decision-maker)")
        self._add_move(state)
        self._add_words(state)
        state.add_argument(
            "--recovery-point",
            metavar="TIME",
            help="the moment the restored data reaches (its data lost is counted from it)",
        )
        state.add_argument(
            "--override",
            default="",
            metavar="REASON",
            help="restored without a complete verification checklist, and why",
        )
        state.add_argument(
            "--propose",
            action="store_true",
            help="when you are not the decision-maker, propose the move instead",
        )
        self._add_public(state)
        state.add_argument("--json", action="store_true", help="print the disaster as JSON")
        self.add_actor_argument(state)

        propose = actions.add_parser("propose", help="propose a move to the decision-maker")
        self._add_move(propose)
        self._add_words(propose)
        propose.add_argument("--json", action="store_true", help="print the disaster as JSON")
        self.add_actor_argument(propose)

        accept = actions.add_parser("accept", help="accept a proposal: the move is made")
        accept.add_argument("reference", metavar="REF", help=REF_HELP)
        accept.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id")
        accept.add_argument("--note", default="")
        self._add_public(accept)
        self.add_actor_argument(accept)

        decline = actions.add_parser("decline", help="decline a proposal, saying why")
        decline.add_argument("reference", metavar="REF", help=REF_HELP)
        decline.add_argument("proposal", metavar="PROPOSAL", help="the proposal's id")
        decline.add_argument("--note", required=True, help="why not")
        self.add_actor_argument(decline)

        step = actions.add_parser("step", help="record a runbook step's state and evidence")
        step.add_argument("reference", metavar="REF", help=REF_HELP)
        step.add_argument("step", metavar="STEP", help="the step's number in the runbook")
        step.add_argument(
            "state",
            nargs="?",
            metavar="STATE",
            help=f"one of {', '.join(StepState.values)} (leave out to only change --owner)",
        )
        self._add_system_option(step)
        step.add_argument("--evidence", default="", help="what was done and seen")
        step.add_argument("--evidence-url", default="", metavar="URL", help="a link to it")
        output = step.add_mutually_exclusive_group()
        output.add_argument("--output", default="", help="an output to keep")
        output.add_argument(
            "--output-file", metavar="PATH", help="read the output from a file ('-': stdin)"
        )
        step.add_argument(
            "--manual-reason", default="", help="why an automated step was done by hand"
        )
        step.add_argument("--owner", metavar="USERNAME", help="give the step to this person")
        self.add_actor_argument(step)

        run = actions.add_parser("run", help="run an automated step (it calls its webhook)")
        run.add_argument("reference", metavar="REF", help=REF_HELP)
        run.add_argument("step", metavar="STEP", help="the step's number in the runbook")
        self._add_system_option(run)
        self.add_actor_argument(run)

        add = actions.add_parser("add-system", help="add a system to the disaster")
        add.add_argument("reference", metavar="REF", help=REF_HELP)
        add.add_argument("system", metavar="SYSTEM", help="its name or id")
        self.add_actor_argument(add)

        planned = actions.add_parser("planned-work", help="record the planned work stopped")
        planned.add_argument("reference", metavar="REF", help=REF_HELP)
        planned.add_argument("planned_work", metavar="NAME", help="the sprint or iteration")
        planned.add_argument("--url", default="", help="its link in the tracker")
        self.add_actor_argument(planned)

        resume = actions.add_parser(
            "resume", help="resume business as usual (after the postmortem is published)"
        )
        resume.add_argument("reference", metavar="REF", help=REF_HELP)
        resume.add_argument("--note", default="")
        self.add_actor_argument(resume)

    def _add_move(self, parser) -> None:
        parser.add_argument("reference", metavar="REF", help=REF_HELP)
        parser.add_argument("system", metavar="SYSTEM", help="the system's name or id")
        parser.add_argument("state", metavar="STATE", help="the state to move it to")

    def _add_words(self, parser) -> None:
        parser.add_argument("--reason", required=True, help="why, in a sentence")
        parser.add_argument(
            "--consulted", action="append", default=[], metavar="NAME", help="(repeat)"
        )
        parser.add_argument("--evidence", default="", help="what the move rests on")

    def _add_public(self, parser) -> None:
        parser.add_argument(
            "--public",
            action="store_true",
            help="apply the matching public change as 'preview' shows it (never for a drill)",
        )
        parser.add_argument(
            "--public-message", metavar="TEXT", help="the public update's words (implies --public)"
        )
        parser.add_argument(
            "--no-notify", action="store_true", help="do not tell subscribers (with --public)"
        )
        parser.add_argument(
            "--no-banner",
            action="store_true",
            help="leave the site banner as it is (with --public)",
        )
        window = parser.add_mutually_exclusive_group()
        window.add_argument(
            "--no-maintenance",
            action="store_true",
            help="open no maintenance window on the status page (with --public)",
        )
        window.add_argument(
            "--maintenance-until",
            metavar="TIME",
            help="end the maintenance window then, ISO 8601 (implies --public; default: now + RTO)",
        )

    def _add_system_option(self, parser) -> None:
        parser.add_argument(
            "--system", metavar="SYSTEM", help="whose runbook (needed when there are several)"
        )

    def handle(self, *args, **options):
        action = options["action"]
        with named_by({**FLAGS, **ACTION_FLAGS.get(action, {})}):
            getattr(self, f"_{action.replace('-', '_')}")(options)

    # Reading --------------------------------------------------------------------------------

    def _disaster(self, options, actor=None):
        incident = incident_or_error(options["reference"], actor or self.viewer(options))
        return doors.disaster_of(incident, field="reference")

    def _print(self, disaster, options) -> None:
        # Read again with what it shows fetched at once (it exists: it was just found or made).
        data = selectors.disaster_data(
            selectors.disaster_for_incident(disaster.incident) or disaster
        )
        if options.get("json"):
            self.print_json(data)
        else:
            self.stdout.write(disaster_text(data))

    def _list(self, options):
        found = [selectors.disaster_data(d) for d in selectors.disasters_for(self.viewer(options))]
        if options["json"]:
            self.print_json(found)
            return
        rows = [
            (
                d["incident"]["reference"],
                "drill" if d["drill"] else "disaster",
                d["decision_maker"] or "-",
                ", ".join(f"{s['name']} {s['state']}" for s in d["systems"]),
                format_when(d["resumed_at"]),
            )
            for d in found
        ]
        self.print_table(("INCIDENT", "KIND", "DECISION-MAKER", "SYSTEMS", "RESUMED"), rows)

    def _show(self, options):
        self._print(self._disaster(options), options)

    def _preview(self, options):
        disaster = self._disaster(options, self.actor(options))
        affected = doors.affected_of(disaster, options["system"])
        change = public.public_preview(affected, doors.state_word(options["state"]))
        data = dataclasses.asdict(change)
        if options["json"]:
            self.print_json(data)
            return
        names = {c.pk: c.name for c in affected.system.components.all()}
        self.stdout.write(public_words(data, names, drill=disaster.drill))

    # Writing --------------------------------------------------------------------------------

    def _declare(self, options):
        actor = self.actor(options)
        incident = incident_or_error(options["reference"], actor)
        disaster = services.disaster_declare(
            actor=actor,
            source=SOURCE,
            incident=incident,
            systems=options["system"],
            decision_maker=options["decision_maker"],
            drill=options["drill"],
            planned_work=options["planned_work"],
            planned_work_url=options["planned_work_url"],
            interrupted_at=parse_when(options["interrupted_at"], "--interrupted-at"),
        )
        if options["json"]:
            self._print(disaster, options)
            return
        kind = "A drill" if disaster.drill else "A disaster"
        maker = services.decision_maker_of(disaster)
        self.stdout.write(
            f"{kind} is declared on {incident.reference}; the decision-maker is "
            f"{maker.username if maker else 'nobody'}."
        )

    def _public_change(self, options, affected, state: str, *, drill: bool):
        wanted = (
            options["public"]
            or options["public_message"] is not None
            or options["maintenance_until"] is not None
        )
        if not wanted or drill:
            return None
        change = public.public_preview(affected, state)
        if options["public_message"] is not None:
            change = dataclasses.replace(change, message=options["public_message"])
        if options["no_notify"]:
            change = dataclasses.replace(change, notify=False)
        if options["no_banner"]:
            change = dataclasses.replace(change, banner=None, clear_banner=False)
        if options["no_maintenance"]:
            change = dataclasses.replace(change, maintenance_until=None)
        elif options["maintenance_until"] is not None:
            if not change.maintenance_until:
                raise ValidationError(
                    "only a move to maintenance opens a maintenance window",
                    field="public.maintenance.until",
                )
            until = public.public_change_from_data(
                {"maintenance": {"until": options["maintenance_until"]}}, affected
            ).maintenance_until
            change = dataclasses.replace(change, maintenance_until=until)
        return change

    def _state(self, options):
        actor = self.actor(options)
        disaster = self._disaster(options, actor)
        affected = doors.affected_of(disaster, options["system"])
        state = doors.state_word(options["state"])
        done = services.state_move(
            actor=actor,
            source=SOURCE,
            affected=affected,
            state=state,
            reason=options["reason"],
            consulted=options["consulted"],
            evidence=options["evidence"],
            last_recovery_point_at=parse_when(options["recovery_point"], "--recovery-point"),
            override_reason=options["override"],
            public=self._public_change(options, affected, state, drill=disaster.drill),
            propose=options["propose"],
        )
        if options["json"]:
            self._print(disaster, options)
        else:
            self.stdout.write(outcome_words(done))

    def _propose(self, options):
        actor = self.actor(options)
        disaster = self._disaster(options, actor)
        proposal = services.proposal_create(
            actor=actor,
            source=SOURCE,
            affected=doors.affected_of(disaster, options["system"]),
            state=doors.state_word(options["state"]),
            reason=options["reason"],
            consulted=options["consulted"],
            evidence=options["evidence"],
        )
        if options["json"]:
            self._print(disaster, options)
        else:
            self.stdout.write(outcome_words(proposal))

    def _accept(self, options):
        actor = self.actor(options)
        disaster = self._disaster(options, actor)
        proposal = doors.proposal_of(disaster, options["proposal"])
        change = services.proposal_accept(
            actor=actor,
            source=SOURCE,
            proposal=proposal,
            note=options["note"],
            public=self._public_change(
                options, proposal.affected, proposal.to_state, drill=disaster.drill
            ),
        )
        self.stdout.write(f"Proposal {proposal.pk} is accepted. {outcome_words(change)}")

    def _decline(self, options):
        actor = self.actor(options)
        proposal = doors.proposal_of(self._disaster(options, actor), options["proposal"])
        services.proposal_decline(
            actor=actor, source=SOURCE, proposal=proposal, note=options["note"]
        )
        self.stdout.write(f"Proposal {proposal.pk} is declined.")

    def _runbook_step(self, options, disaster):
        if options["system"]:
            affected = doors.affected_of(disaster, options["system"])
        else:
            affected = doors.only_affected(disaster)
        return doors.step_of(affected, options["step"])

    def _step(self, options):
        actor = self.actor(options)
        step = self._runbook_step(options, self._disaster(options, actor))
        if options["state"] is None and options["owner"] is None:
            raise ValidationError("give a STATE, --owner or both", field="STATE")
        if options["owner"] is not None:
            step = runbooks.step_assign(
                actor=actor, source=SOURCE, step=step, owner=options["owner"]
            )
        if options["state"] is not None:
            step = runbooks.step_update(
                actor=actor,
                source=SOURCE,
                step=step,
                state=options["state"].strip().lower(),
                evidence=options["evidence"],
                evidence_url=options["evidence_url"],
                output=_output(options),
                manual_reason=options["manual_reason"],
            )
        owner = f", owned by {step.owner.username}" if step.owner else ""
        self.stdout.write(f"Step {step.position} ({step.title}): {step.state}{owner}.")

    def _run(self, options):
        actor = self.actor(options)
        step = self._runbook_step(options, self._disaster(options, actor))
        step = runbooks.step_run(actor=actor, source=SOURCE, step=step)
        self.stdout.write(
            f"Step {step.position} ({step.title}): {step.state}; its webhook is called."
        )

    def _add_system(self, options):
        actor = self.actor(options)
        disaster = self._disaster(options, actor)
        affected = services.disaster_add_system(
            actor=actor, source=SOURCE, disaster=disaster, system=options["system"]
        )
        self.stdout.write(f"{affected.system.name} is added to the disaster.")

    def _planned_work(self, options):
        actor = self.actor(options)
        disaster = services.planned_work_stop(
            actor=actor,
            source=SOURCE,
            disaster=self._disaster(options, actor),
            planned_work=options["planned_work"],
            planned_work_url=options["url"],
        )
        self.stdout.write(f"Planned work {disaster.planned_work} is stopped.")

    def _resume(self, options):
        actor = self.actor(options)
        services.business_resume(
            actor=actor,
            source=SOURCE,
            disaster=self._disaster(options, actor),
            note=options["note"],
        )
        self.stdout.write("Business as usual is resumed.")


def _output(options) -> str:
    path = options.get("output_file")
    if not path:
        return options["output"]
    try:
        return sys.stdin.read() if path == "-" else Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"cannot read {path}: {exc}", field="--output-file") from None


def outcome_words(done) -> str:
    """`Billing: read_only → restoring.` or `Proposal 3: Billing read_only → restoring, for
    the decision-maker to accept or decline.`"""
    if isinstance(done, Proposal):
        return (
            f"Proposal {done.pk}: {done.affected.system.name} {done.from_state} → "
            f"{done.to_state}, for the decision-maker to accept or decline."
        )
    assert isinstance(done, StateChange)
    return f"{done.affected.system.name}: {done.from_state} → {done.to_state}."


def public_words(data: dict, names: dict[int, str], *, drill: bool) -> str:
    if drill:
        return "A drill changes nothing public."
    lines = []
    for component, status in data["components"].items():
        lines.append(f"  component {names.get(component, component)}: {status}")
    if data["banner"]:
        lines.append(f"  banner ({data['banner'][0]}): {data['banner'][1]}")
    if data["clear_banner"]:
        lines.append("  banner: cleared")
    if data["message"]:
        lines.append(f"  public update: {data['message']}")
        lines.append(f"  subscribers told: {'yes' if data['notify'] else 'no'}")
    if data.get("maintenance_until"):
        lines.append(f"  maintenance window until: {format_when(data['maintenance_until'])}")
    return "\n".join(["The public change:", *lines]) if lines else "No public change."


def disaster_text(data: dict) -> str:
    """A readable page about one disaster."""
    reference = data["incident"]["reference"]
    kind = "Drill" if data["drill"] else "Disaster"
    lines = [f"{kind} on {reference}", f"  Decision-maker  {data['decision_maker'] or '-'}"]
    if data.get("planned_work"):
        lines.append(f"  Planned work    {data['planned_work']} (stopped)")
    resumed = data["resumed_at"]
    lines.append(f"  Resumed         {format_when(resumed) if resumed else 'not yet'}")
    for system in data["systems"]:
        lines.append("")
        allowed = ", ".join(system.get("allowed_moves") or []) or "none"
        lines.append(f"{system['name']}: {system['state']} (next: {allowed})")
        lines += [f"  {line}" for line in measure_lines(system["measures"])]
        for step in system.get("steps", []):
            lines.append(f"  {step['position']}. [{step['state']}] {step['title']}")
    proposals = [p for p in data.get("proposals", []) if p.get("status") == "open"]
    if proposals:
        lines += ["", "Proposals waiting:"]
        for p in proposals:
            lines.append(
                f"  {p['id']}. {p['system']} {p['from_state']} → {p['to_state']}: {p['reason']}"
            )
    return "\n".join(lines)


def _seconds_words(seconds: int) -> str:
    return format_duration(timedelta(seconds=seconds))


def _met(met: bool | None) -> str:
    return {True: "met", False: "missed", None: "-"}[met]


def measure_lines(measures: dict) -> list[str]:
    """`Recovered in 45 minutes (RTO 1 hour: met)`, `Data lost: 10 minutes (RPO …)`."""
    rto = _seconds_words(measures["rto_minutes"] * 60)
    rpo = _seconds_words(measures["rpo_minutes"] * 60)
    if measures["recovery_seconds"] is not None:
        recovered = _seconds_words(measures["recovery_seconds"])
        lines = [f"Recovered in {recovered} (RTO {rto}: {_met(measures['rto_met'])})"]
    elif measures["running"]:
        elapsed = _seconds_words(measures["elapsed_seconds"])
        lines = [f"Down for {elapsed} so far (RTO {rto}{', over' if measures['over'] else ''})"]
    else:
        lines = []
    if measures["data_loss_seconds"] is not None:
        lost = _seconds_words(measures["data_loss_seconds"])
        lines.append(f"Data lost: {lost} (RPO {rpo}: {_met(measures['rpo_met'])})")
    return lines

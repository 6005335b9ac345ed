from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.core.errors import IncidentDeskError, ValidationError
from incidentdesk.oncall import page_selectors, policies
from incidentdesk.oncall.models import StepTarget


class Command(CliCommand):
    help = "Manage escalation policies: policy create | list | show | delete."
    field_options = {"repeat": "--repeat", "description": "--description", "steps": "--step"}

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser("create", help="create a policy from its steps, in order")
        create.add_argument("name")
        create.add_argument(
            "--step",
            action="append",
            default=[],
            metavar="TARGET:NAME[:WAIT]",
            help=(
                "a step, in order (repeat): person:ada:5, schedule:Primary:10, "
                "schedule_all:Primary, policy:Night; WAIT is minutes (default 5)"
            ),
        )
        create.add_argument("--repeat", type=int, default=0, help="run every step again N times")
        create.add_argument("--description", default="")
        create.add_argument(
            "--default", action="store_true", help="the policy 'page the on-call lead' uses"
        )
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="list the policies and their steps")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        show = actions.add_parser("show", help="one policy with its steps")
        show.add_argument("policy", metavar="POLICY", help="its id or name")
        show.add_argument("--json", action="store_true")
        self.add_actor_argument(show)

        delete = actions.add_parser("delete", help="delete a policy no route or policy uses")
        delete.add_argument("policy", metavar="POLICY", help="its id or name")
        self.add_actor_argument(delete)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options):
        steps = [_step(text, index) for index, text in enumerate(options["step"])]
        try:
            policy = policies.policy_create(
                actor=self.actor(options),
                source=SOURCE,
                name=options["name"],
                description=options["description"],
                repeat=options["repeat"],
                is_default=options["default"],
                steps=steps,
            )
        except IncidentDeskError as exc:
            # `steps[1].person` is about the second --step.
            if not (exc.field or "").startswith("steps["):
                raise
            field = "--step" + exc.field.removeprefix("steps").split(".", 1)[0]
            raise type(exc)(exc.message, field=field) from exc
        default = " (the default)" if policy.is_default else ""
        self.stdout.write(f"Escalation policy {policy.pk} ({policy.name}) is created{default}.")

    def _list(self, options):
        self.actor(options)
        found = [page_selectors.policy_data(p) for p in page_selectors.policies()]
        if options["json"]:
            self.print_json(found)
            return
        rows = [
            (
                p["id"],
                p["name"] + (" (default)" if p["is_default"] else ""),
                " → ".join(step_words(s) for s in p["steps"]),
                p["repeat"],
            )
            for p in found
        ]
        self.print_table(("ID", "NAME", "STEPS", "REPEAT"), rows)

    def _show(self, options):
        self.actor(options)
        data = page_selectors.policy_data(policies.policy_lookup(options["policy"]))
        if options["json"]:
            self.print_json(data)
            return
        default = " (the default)" if data["is_default"] else ""
        self.stdout.write(f"{data['name']}{default}: {data['description'] or 'no description'}")
        for step in data["steps"]:
            self.stdout.write(f"  {step['position']}. {step_words(step)}")
        if data["repeat"]:
            self.stdout.write(f"  then all again, {data['repeat']} more time(s)")

    def _delete(self, options):
        actor = self.actor(options)
        policy = policies.policy_lookup(options["policy"])
        policies.policy_delete(actor=actor, source=SOURCE, policy=policy)
        self.stdout.write(f"Escalation policy {policy.name} is deleted.")


def step_words(step: dict) -> str:
    """`ada (5 min)`, `on call in Primary (10 min)`: one step as the list shows it."""
    target = step["target"]
    if target == StepTarget.PERSON:
        who = step.get("person") or "?"
    elif target == StepTarget.SCHEDULE:
        who = f"on call in {step.get('schedule')}"
    elif target == StepTarget.SCHEDULE_ALL:
        who = f"everyone in {step.get('schedule')}"
    else:
        who = f"policy {step.get('policy')}"
    return f"{who} ({step['wait_minutes']} min)"


def _step(text: str, index: int) -> dict:
    """`person:ada:5` → {"target": "person", "person": "ada", "wait_minutes": 5}; the service
    checks what it names."""
    target, _, rest = text.partition(":")
    name, wait = rest, None
    head, colon, tail = rest.rpartition(":")
    if colon and tail.strip().isdigit():
        name, wait = head, int(tail)
    if not target or not name:
        raise ValidationError(
            f"{text!r} is not TARGET:NAME[:WAIT], e.g. person:ada:5", field=f"--step[{index}]"
        )
    key = "schedule" if target == StepTarget.SCHEDULE_ALL else target
    step: dict = {"target": target, key: name}
    if wait is not None:
        step["wait_minutes"] = wait
    return step

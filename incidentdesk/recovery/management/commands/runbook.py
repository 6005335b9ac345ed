import argparse

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.recovery import doors, runbooks
from incidentdesk.recovery.management.flags import given, named_by
from incidentdesk.recovery.models import RunbookTemplate, StandardStep, StepKind
from incidentdesk.recovery.selectors import runbook_data

# The option each service field is typed as; `steps[2].title` is about the third step given.
FLAGS = {
    "name": "--name",
    "description": "--description",
    "system": "--system",
    "steps": "--step",
    "runbook": "RUNBOOK",
}
STANDARD_TITLES = dict(StandardStep.choices)


class StepAction(argparse.Action):
    """`--step TITLE`, `--verify TITLE` and `--standard KEY` add a step, in the order given;
    `--owner USERNAME` and `--webhook URL` belong to the step given just before them."""

    def __call__(self, parser, namespace, value, option_string=None):
        steps = getattr(namespace, "steps", None)
        if steps is None:
            steps = []
            namespace.steps = steps
        if self.dest in ("owner", "webhook_url"):
            if not steps:
                parser.error(
                    f"{option_string} belongs to a step: give --step, --verify or --standard first"
                )
            steps[-1][self.dest] = value
        elif self.dest == "verification":
            steps.append({"title": value, "kind": StepKind.VERIFICATION})
        elif self.dest == "standard":
            key = value.strip().lower()
            steps.append({"title": STANDARD_TITLES.get(key, key), "standard": key})
        else:
            steps.append({"title": value, "kind": StepKind.RECOVERY})


def add_step_options(parser) -> None:
    parser.set_defaults(steps=None)
    parser.add_argument(
        "--step", dest="recovery", action=StepAction, metavar="TITLE", help="a recovery step"
    )
    parser.add_argument(
        "--verify",
        dest="verification",
        action=StepAction,
        metavar="TITLE",
        help="a verification step: a test that must pass before the system is restored",
    )
    parser.add_argument(
        "--standard",
        dest="standard",
        action=StepAction,
        metavar="KEY",
        help=f"a built-in recovery step: {', '.join(StandardStep.values)}",
    )
    parser.add_argument(
        "--owner", dest="owner", action=StepAction, metavar="USERNAME", help="the last step's owner"
    )
    parser.add_argument(
        "--webhook",
        dest="webhook_url",
        action=StepAction,
        metavar="URL",
        help="the last step is automated: it calls this webhook",
    )


class Command(CliCommand):
    help = "Runbooks as data: runbook create | list | show | update | delete (admins write)."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser(
            "create", help="a runbook for a system, or a template (no steps: the built-in one)"
        )
        create.add_argument("name", metavar="NAME")
        create.add_argument("--system", metavar="SYSTEM", help="the system it is for")
        create.add_argument("--description", default="")
        add_step_options(create)
        create.add_argument("--json", action="store_true", help="print the runbook as JSON")
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="the runbooks and their steps")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        show = actions.add_parser("show", help="one runbook with its steps")
        show.add_argument("runbook", metavar="RUNBOOK", help="its id or name")
        show.add_argument("--json", action="store_true")
        self.add_actor_argument(show)

        update = actions.add_parser("update", help="change what is given; steps replace all")
        update.add_argument("runbook", metavar="RUNBOOK", help="its id or name")
        update.add_argument("--name")
        update.add_argument("--description")
        system = update.add_mutually_exclusive_group()
        system.add_argument("--system", metavar="SYSTEM")
        system.add_argument("--no-system", action="store_true", help="make it a template")
        add_step_options(update)
        update.add_argument("--json", action="store_true")
        self.add_actor_argument(update)

        delete = actions.add_parser("delete", help="remove a runbook (disasters keep their copy)")
        delete.add_argument("runbook", metavar="RUNBOOK", help="its id or name")
        self.add_actor_argument(delete)

    def handle(self, *args, **options):
        flags = FLAGS if options["action"] == "update" else {**FLAGS, "name": "NAME"}
        with named_by(flags):
            getattr(self, f"_{options['action']}")(options)

    def _print(self, template, options) -> None:
        data = runbook_data(template)
        if options.get("json"):
            self.print_json(data)
        else:
            self.stdout.write(runbook_text(data))

    def _create(self, options):
        template = runbooks.runbook_template_create(
            actor=self.actor(options),
            source=SOURCE,
            name=options["name"],
            system=options["system"],
            description=options["description"],
            steps=options["steps"],
        )
        if options["json"]:
            self._print(template, options)
        else:
            self.stdout.write(f"Runbook {template.pk} ({template.name}) is created.")

    def _list(self, options):
        listed = RunbookTemplate.objects.select_related("system").prefetch_related("steps__owner")
        found = [runbook_data(t) for t in listed]
        if options["json"]:
            self.print_json(found)
            return
        rows = [(t["id"], t["name"], t["system"] or "(template)", len(t["steps"])) for t in found]
        self.print_table(("ID", "NAME", "SYSTEM", "STEPS"), rows)

    def _show(self, options):
        self._print(doors.runbook_lookup(options["runbook"]), options)

    def _update(self, options):
        changes = given(options, name="name", description="description", system="system")
        if options["no_system"]:
            changes["system"] = None
        if options["steps"] is not None:
            changes["steps"] = options["steps"]
        template = runbooks.runbook_template_update(
            actor=self.actor(options),
            source=SOURCE,
            template=doors.runbook_lookup(options["runbook"]),
            **changes,
        )
        if options["json"]:
            self._print(template, options)
        else:
            self.stdout.write(f"Runbook {template.name} is updated.")

    def _delete(self, options):
        actor = self.actor(options)
        template = doors.runbook_lookup(options["runbook"])
        runbooks.runbook_template_delete(actor=actor, source=SOURCE, template=template)
        self.stdout.write(f"Runbook {template.name} is deleted.")


def runbook_text(data: dict) -> str:
    lines = [f"{data['name']} (runbook {data['id']}, {data['system'] or 'a template'})"]
    if data.get("description"):
        lines.append(f"  {data['description']}")
    for step in data["steps"]:
        marks = [step["kind"]]
        if step.get("owner"):
            marks.append(f"owner {step['owner']}")
        if step.get("webhook_url"):
            marks.append("automated")
        lines.append(f"  {step['position']}. {step['title']} ({', '.join(marks)})")
    return "\n".join(lines)

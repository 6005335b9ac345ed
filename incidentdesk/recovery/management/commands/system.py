from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.core.cli import SOURCE
from incidentdesk.recovery import selectors, systems
from incidentdesk.recovery.management.flags import given, named_by

# The option each service field is typed as (`error: --rto: …`).
FLAGS = {
    "name": "--name",
    "owner": "--owner",
    "rto_minutes": "--rto",
    "rpo_minutes": "--rpo",
    "description": "--description",
    "components": "--component",
    "system": "SYSTEM",
}


class Command(CliCommand):
    help = "The systems catalog: system create | list | show | update | delete (admins write)."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser("create", help="add a system to the catalog")
        create.add_argument("name", metavar="NAME")
        create.add_argument(
            "--owner", required=True, metavar="USERNAME", help="the default decision-maker"
        )
        create.add_argument(
            "--rto", required=True, type=int, metavar="MINUTES", help="recovery time objective"
        )
        create.add_argument(
            "--rpo", required=True, type=int, metavar="MINUTES", help="recovery point objective"
        )
        create.add_argument("--description", default="")
        create.add_argument(
            "--component",
            action="append",
            default=[],
            metavar="NAME",
            help="a status page component it maps to, by name or id (repeat)",
        )
        create.add_argument("--json", action="store_true", help="print the system as JSON")
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="the systems, their owners and objectives")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        show = actions.add_parser("show", help="one system")
        show.add_argument("system", metavar="SYSTEM", help="its id or name")
        show.add_argument("--json", action="store_true")
        self.add_actor_argument(show)

        update = actions.add_parser("update", help="change what is given")
        update.add_argument("system", metavar="SYSTEM", help="its id or name")
        update.add_argument("--name")
        update.add_argument("--owner", metavar="USERNAME")
        update.add_argument("--rto", type=int, metavar="MINUTES")
        update.add_argument("--rpo", type=int, metavar="MINUTES")
        update.add_argument("--description")
        parts = update.add_mutually_exclusive_group()
        parts.add_argument(
            "--component",
            action="append",
            metavar="NAME",
            help="the components it maps to, all of them (repeat)",
        )
        parts.add_argument("--no-components", action="store_true", help="map to none")
        update.add_argument("--json", action="store_true")
        self.add_actor_argument(update)

        delete = actions.add_parser("delete", help="remove a system no disaster has")
        delete.add_argument("system", metavar="SYSTEM", help="its id or name")
        self.add_actor_argument(delete)

    def handle(self, *args, **options):
        flags = FLAGS if options["action"] == "update" else {**FLAGS, "name": "NAME"}
        with named_by(flags):
            getattr(self, f"_{options['action']}")(options)

    def _print(self, system, options) -> None:
        data = selectors.system_data(system)
        if options.get("json"):
            self.print_json(data)
            return
        self.stdout.write(system_text(data))

    def _create(self, options):
        system = systems.system_create(
            actor=self.actor(options),
            source=SOURCE,
            name=options["name"],
            owner=options["owner"],
            rto_minutes=options["rto"],
            rpo_minutes=options["rpo"],
            description=options["description"],
            components=options["component"],
        )
        if options["json"]:
            self._print(system, options)
        else:
            self.stdout.write(f"System {system.pk} ({system.name}) is created.")

    def _list(self, options):
        found = [selectors.system_data(s) for s in selectors.systems()]
        if options["json"]:
            self.print_json(found)
            return
        rows = [
            (
                s["id"],
                s["name"],
                s["owner"],
                f"{s['rto_minutes']} min",
                f"{s['rpo_minutes']} min",
                ", ".join(_component_names(s)) or "-",
            )
            for s in found
        ]
        self.print_table(("ID", "NAME", "OWNER", "RTO", "RPO", "COMPONENTS"), rows)

    def _show(self, options):
        self._print(systems.system_lookup(options["system"]), options)

    def _update(self, options):
        changes = given(
            options,
            name="name",
            owner="owner",
            rto="rto_minutes",
            rpo="rpo_minutes",
            description="description",
        )
        if options["no_components"]:
            changes["components"] = []
        elif options["component"] is not None:
            changes["components"] = options["component"]
        system = systems.system_update(
            actor=self.actor(options),
            source=SOURCE,
            system=systems.system_lookup(options["system"]),
            **changes,
        )
        if options["json"]:
            self._print(system, options)
        else:
            self.stdout.write(f"System {system.name} is updated.")

    def _delete(self, options):
        actor = self.actor(options)
        system = systems.system_lookup(options["system"])
        systems.system_delete(actor=actor, source=SOURCE, system=system)
        self.stdout.write(f"System {system.name} is deleted.")


def _component_names(data: dict) -> list[str]:
    return [c["name"] for c in data["components"]]


def system_text(data: dict) -> str:
    lines = [
        f"{data['name']} (system {data['id']})",
        f"  Owner       {data['owner']}",
        f"  RTO         {data['rto_minutes']} minutes",
        f"  RPO         {data['rpo_minutes']} minutes",
        f"  Components  {', '.join(_component_names(data)) or '-'}",
    ]
    if data.get("description"):
        lines.append(f"  About       {data['description']}")
    return "\n".join(lines)

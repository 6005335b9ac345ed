import re

from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.alerts import routes, selectors
from incidentdesk.alerts.models import RouteAction
from incidentdesk.core.cli import SOURCE
from incidentdesk.core.errors import IncidentDeskError, ValidationError

# `label=value`, `label!=value`, `label=~regex`, `label!~regex` (the longest op is tried first).
MATCHER = re.compile(r"(?P<label>[^=!~]*)(?P<op>=~|!~|!=|=)(?P<value>.*)", re.DOTALL)


class Command(CliCommand):
    help = "Manage alert routes: route create | list | delete."
    field_options = {
        "matchers": "--match",
        "severity": "--severity",
        "components": "--component",
        "integration": "--integration",
        "position": "--position",
        "name": "--name",
        "action": "--action",
        "policy": "--policy",
    }

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser("create", help="create a route (tried by position)")
        create.add_argument(
            "--action", dest="route_action", required=True, choices=RouteAction.values
        )
        create.add_argument(
            "--match",
            action="append",
            default=[],
            metavar="LABEL=VALUE",
            help="a matcher: label=value, label!=value, label=~regex or label!~regex (repeat)",
        )
        create.add_argument("--severity", help="the severity a declaring route declares with")
        create.add_argument(
            "--component", action="append", default=[], metavar="ID", help="(repeat)"
        )
        create.add_argument(
            "--integration", type=int, metavar="ID", help="only this integration's groups"
        )
        create.add_argument("--position", type=int, default=0)
        create.add_argument("--name", default="")
        create.add_argument(
            "--pages", action="store_true", help="page when a group opens and the route matches"
        )
        create.add_argument(
            "--policy", metavar="POLICY", help="the escalation policy (id or name) that pages"
        )
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="list routes in the order they are tried")
        listing.add_argument("--json", action="store_true")
        self.add_actor_argument(listing)

        delete = actions.add_parser("delete", help="delete a route by its id")
        delete.add_argument("route_id", type=int, metavar="ID")
        self.add_actor_argument(delete)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options):
        try:
            route = self._created(options)
        except IncidentDeskError as exc:
            # `matchers[1].op` is about the second --match.
            if not (exc.field or "").startswith("matchers["):
                raise
            field = "--match" + exc.field.removeprefix("matchers")
            raise type(exc)(exc.message, field=field) from exc
        self.stdout.write(f"Route {route.pk} ({route.name or route.action}) is created.")

    def _created(self, options):
        return routes.route_create(
            actor=self.actor(options),
            source=SOURCE,
            integration=options["integration"],
            position=options["position"],
            name=options["name"],
            matchers=[_matcher(text, index) for index, text in enumerate(options["match"])],
            action=options["route_action"],
            severity=options["severity"],
            components=options["component"],
            pages=options["pages"],
            policy=options["policy"],
        )

    def _list(self, options):
        found = [selectors.route_data(r) for r in selectors.routes_for_admin(self.actor(options))]
        if options["json"]:
            self.print_json(found)
            return
        rows = [
            (
                r["id"],
                r["position"],
                r["name"],
                "all" if r["integration"] is None else r["integration"],
                " ".join(f"{m['label']}{m['op']}{m['value']}" for m in r["matchers"]) or "*",
                r["action"],
                r["severity"] or "-",
                ", ".join(r["components"]) or "-",
                (r["policy"] or "default") if r["pages"] else "-",
            )
            for r in found
        ]
        headers = (
            "ID",
            "POS",
            "NAME",
            "INTEGRATION",
            "MATCH",
            "ACTION",
            "SEVERITY",
            "COMPONENTS",
            "PAGES",
        )
        self.print_table(headers, rows)

    def _delete(self, options):
        routes.route_delete(actor=self.actor(options), source=SOURCE, route_id=options["route_id"])
        self.stdout.write(f"Route {options['route_id']} is deleted.")


def _matcher(text: str, index: int) -> dict[str, str]:
    """`team=~pay.*` → {"label": "team", "op": "=~", "value": "pay.*"}; the service checks it."""
    found = MATCHER.fullmatch(text)
    if found is None:
        raise ValidationError(
            f"{text!r} is not LABEL=VALUE, LABEL!=VALUE, LABEL=~REGEX or LABEL!~REGEX",
            field=f"--match[{index}]",
        )
    return found.groupdict()

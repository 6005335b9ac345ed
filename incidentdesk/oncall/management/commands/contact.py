from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.accounts.cli import find_user
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.cli import SOURCE
from incidentdesk.oncall import contacts, doors, page_selectors
from incidentdesk.oncall.models import ContactKind


class Command(CliCommand):
    help = "How you are reached when paged: contact add | list | remove | move."
    field_options = {"label": "--label", "user": "--for"}

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        add = actions.add_parser("add", help="add a way to reach you, after the others")
        add.add_argument("kind", choices=ContactKind.values)
        add.add_argument(
            "address",
            help=(
                "an email address, ntfy topic URL, webhook URL, chat address "
                "(<platform>:<chat user id>), phone number (+4915…) or Apprise URL"
            ),
        )
        add.add_argument("--label", default="")
        self._for(add)

        listing = actions.add_parser("list", help="your contact methods, in the order tried")
        listing.add_argument("--json", action="store_true")
        self._for(listing)

        remove = actions.add_parser("remove", help="stop reaching you this way")
        remove.add_argument("method_id", type=int, metavar="ID")
        self._for(remove)

        move = actions.add_parser("move", help="put a contact method at a position (1 first)")
        move.add_argument("method_id", type=int, metavar="ID")
        move.add_argument("position", type=int, metavar="POSITION")
        self._for(move)

    def _for(self, parser):
        parser.add_argument(
            "--for",
            dest="for_user",
            metavar="USERNAME",
            help="someone else's contact methods (admins)",
        )
        self.add_actor_argument(parser)

    def handle(self, *args, **options):
        actor = self.actor(options)
        person = find_user(options["for_user"]) if options["for_user"] else actor
        getattr(self, f"_{options['action']}")(options, actor, person)

    def _add(self, options, actor, person):
        method = contacts.contact_method_add(
            actor=actor,
            source=SOURCE,
            user=person,
            kind=options["kind"],
            address=options["address"],
            label=options["label"],
        )
        self.stdout.write(
            f"Contact method {method.pk} ({method.kind} {method.address}) is added for "
            f"{person.username}, at position {method.position}."
        )

    def _list(self, options, actor, person):
        if person.pk != actor.pk:
            require(actor, Perm.USER_MANAGE)  # admins read anyone's, as they change them
        found = [page_selectors.contact_method_data(m) for m in contacts.contact_methods_of(person)]
        if options["json"]:
            self.print_json(found)
            return
        if not found:
            self.stdout.write(f"{person.username} has no contact method: pages go by email.")
            return
        rows = [(m["id"], m["position"], m["kind"], m["address"], m["label"]) for m in found]
        self.print_table(("ID", "POS", "KIND", "ADDRESS", "LABEL"), rows)

    def _remove(self, options, actor, person):
        method = doors.own_contact_method(person, options["method_id"])
        contacts.contact_method_remove(actor=actor, source=SOURCE, method=method)
        self.stdout.write(f"Contact method {method.pk} is removed.")

    def _move(self, options, actor, person):
        method = doors.own_contact_method(person, options["method_id"])
        method = contacts.contact_method_move(
            actor=actor, source=SOURCE, method=method, position=options["position"]
        )
        self.stdout.write(f"Contact method {method.pk} is at position {method.position}.")

import getpass
import sys

from incidentdesk.accounts import services
from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.accounts.cli import find_user, resolve_actor
from incidentdesk.accounts.models import Role, User
from incidentdesk.core.cli import SOURCE, format_when
from incidentdesk.core.errors import ValidationError


def _user_json(user: User) -> dict:
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "role": user.effective_role,
        "on_responders_desk": user.on_responders_desk,
        "is_active": user.is_active,
        "date_joined": user.date_joined.isoformat(),
    }


class Command(CliCommand):
    help = "Manage accounts: user create | list | update | set-role."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser(
            "create", help="create an account (password from stdin or prompted)"
        )
        create.add_argument("--username", required=True)
        create.add_argument("--email", required=True)
        create.add_argument(
            "--role", default=Role.RESPONDER, help=f"one of {', '.join(Role.values)}"
        )
        create.add_argument("--full-name", default="", metavar="NAME")
        create.add_argument("--desk", action="store_true", help="put them on the responders desk")
        create.add_argument("--json", action="store_true")
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="list accounts")
        listing.add_argument("--json", action="store_true")

        update = actions.add_parser("update", help="change a role, desk membership or active flag")
        update.add_argument("username", metavar="USER")
        update.add_argument("--role", help=f"one of {', '.join(Role.values)}")
        update.add_argument(
            "--desk", action="store_true", default=None, help="join the responders desk"
        )
        update.add_argument("--no-desk", dest="desk", action="store_false", help="leave the desk")
        update.add_argument("--active", action="store_true", default=None, help="reactivate")
        update.add_argument("--inactive", dest="active", action="store_false", help="deactivate")
        self.add_actor_argument(update)

        set_role = actions.add_parser("set-role", help="change someone's role")
        set_role.add_argument("username", metavar="USER")
        set_role.add_argument("role", metavar="ROLE", help=f"one of {', '.join(Role.values)}")
        self.add_actor_argument(set_role)

    def handle(self, *args, **options):
        action = options["action"].replace("-", "_")
        getattr(self, f"_{action}")(options)

    def _create(self, options):
        first_run = not User.objects.exists()
        actor = None if first_run else resolve_actor(options.get("as_user"))
        password = read_password()
        user = services.user_create(
            actor=actor,
            source=SOURCE,
            username=options["username"],
            email=options["email"],
            password=password,
            role=options["role"],
            full_name=options["full_name"],
            on_responders_desk=options["desk"],
        )
        if options["json"]:
            self.print_json(_user_json(user))
            return
        note = " (the first account is always an admin)" if first_run else ""
        self.stdout.write(f"Created {user.effective_role} account {user.username!r}{note}.")

    def _list(self, options):
        users = list(User.objects.order_by("username"))
        if options["json"]:
            self.print_json([_user_json(u) for u in users])
            return
        rows = [
            (
                u.username,
                u.display_name,
                u.email,
                u.effective_role,
                "yes" if u.on_responders_desk else "",
                "yes" if u.is_active else "no",
                format_when(u.last_login),
            )
            for u in users
        ]
        self.print_table(
            ("USERNAME", "NAME", "EMAIL", "ROLE", "DESK", "ACTIVE", "LAST LOGIN"), rows
        )

    def _update(self, options):
        changes = {
            "role": options["role"],
            "on_responders_desk": options["desk"],
            "is_active": options["active"],
        }
        if all(value is None for value in changes.values()):
            raise ValidationError(
                "give --role, --desk/--no-desk or --active/--inactive", field="update"
            )
        self._apply(options, changes)

    def _set_role(self, options):
        self._apply(options, {"role": options["role"]})

    def _apply(self, options, changes):
        actor = resolve_actor(options.get("as_user"))
        user = find_user(options["username"])
        user = services.user_update(actor=actor, source=SOURCE, user=user, **changes)
        desk = "on the desk" if user.on_responders_desk else "not on the desk"
        active = "active" if user.is_active else "inactive"
        self.stdout.write(f"{user.username}: {user.effective_role}, {desk}, {active}.")


def read_password() -> str:
    """The first line of stdin when it is not a terminal; otherwise asked twice."""
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ValidationError(
                "give the password as the first line of standard input", field="password"
            )
        return password
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Password (again): "):
        raise ValidationError("the two passwords differ", field="password")
    return password

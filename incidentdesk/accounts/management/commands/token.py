import os

from incidentdesk.accounts import services
from incidentdesk.accounts.cli import ACTOR_ENV, find_user, resolve_actor
from incidentdesk.accounts.cli import Command as CliCommand
from incidentdesk.accounts.models import ApiToken, Role, TokenScope, User
from incidentdesk.core.cli import SOURCE, format_when


class Command(CliCommand):
    help = "Manage API tokens: token create | list | revoke."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        create = actions.add_parser("create", help="create a token and print it (shown only once)")
        create.add_argument("--user", required=True, help="whose token it is")
        create.add_argument("--scope", choices=TokenScope.values, default=TokenScope.READ)
        create.add_argument("--name", default="cli", help="to recognise it later (default: cli)")
        self.add_actor_argument(create)

        listing = actions.add_parser("list", help="list tokens (never their secret)")
        listing.add_argument("--user", help="only this user's tokens")
        listing.add_argument("--json", action="store_true")

        revoke = actions.add_parser("revoke", help="revoke a token by its id")
        revoke.add_argument("token_id", type=int, metavar="ID")
        self.add_actor_argument(revoke)

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _create(self, options):
        user = find_user(options["user"])
        actor = _first_run_actor(options.get("as_user"), user)
        _, plain = services.token_create(
            actor=actor, source=SOURCE, user=user, name=options["name"], scope=options["scope"]
        )
        # Only the token on stdout, so `TOKEN=$(incidentdesk token create …)` captures it.
        self.stdout.write(plain)

    def _list(self, options):
        tokens = ApiToken.objects.select_related("user")
        if options["user"]:
            tokens = tokens.filter(user=find_user(options["user"]))
        if options["json"]:
            self.print_json([_token_json(t) for t in tokens])
            return
        rows = [
            (
                t.pk,
                t.user.username,
                t.name,
                f"{t.prefix}…",
                t.scope,
                format_when(t.created_at),
                format_when(t.last_used_at),
                "active" if t.is_active else f"revoked {format_when(t.revoked_at)}",
            )
            for t in tokens
        ]
        headers = ("ID", "USER", "NAME", "PREFIX", "SCOPE", "CREATED", "LAST USED", "STATUS")
        self.print_table(headers, rows)

    def _revoke(self, options):
        actor = resolve_actor(options.get("as_user"))
        token = services.token_revoke(actor=actor, source=SOURCE, token_id=options["token_id"])
        self.stdout.write(f"Token {token.pk} ({token.name}, {token.user.username}) is revoked.")


def _first_run_actor(handle: str | None, user: User):
    """--as, or, when it is not given, the target user if they are the only admin: on a fresh
    install the admin can make their first token without saying who they are twice."""
    if handle or os.environ.get(ACTOR_ENV) or not _is_only_admin(user):
        return resolve_actor(handle)
    return user


def _is_only_admin(user: User) -> bool:
    if user.effective_role != Role.ADMIN or not user.is_active:
        return False
    admins = [u for u in User.objects.filter(is_active=True) if u.effective_role == Role.ADMIN]
    return len(admins) == 1


def _token_json(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "user": token.user.username,
        "name": token.name,
        "prefix": token.prefix,
        "scope": token.scope,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }

"""The acting user of a management command: `--as USERNAME` or $INCIDENTDESK_USER.

A command that acts as someone (or reads as someone) subclasses `Command` here instead of
core.cli.Command, which it extends with the `--as` option and `actor()` / `viewer()`."""

import os
from typing import Any

from django.core.management.base import CommandParser

from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_by_handle
from incidentdesk.core import cli
from incidentdesk.core.errors import NotFound, ValidationError

ACTOR_ENV = "INCIDENTDESK_USER"


class Command(cli.Command):
    """A command that acts as someone: the base command plus the acting user."""

    def add_actor_argument(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as",
            dest="as_user",
            metavar="USERNAME",
            help=f"who is acting (username or email); default: ${ACTOR_ENV}",
        )

    def actor(self, options: dict[str, Any]) -> User:
        """The user named by --as or $INCIDENTDESK_USER; exits 2 saying how to set it."""
        return resolve_actor(options.get("as_user"))

    def viewer(self, options: dict[str, Any]) -> User | None:
        """Who is reading: the user named by --as or $INCIDENTDESK_USER, or None when neither
        is given. Reads show restricted incidents only to a user allowed to see them, so
        without one they are left out (as they are for someone not signed in)."""
        if not (options.get("as_user") or os.environ.get(ACTOR_ENV, "").strip()):
            return None
        return resolve_actor(options.get("as_user"))


def resolve_actor(handle: str | None) -> User:
    handle = (handle or os.environ.get(ACTOR_ENV, "")).strip()
    how = f"pass --as USERNAME or set {ACTOR_ENV}"
    if not handle:
        raise ValidationError(f"say who is acting: {how}", field="--as")
    try:
        return user_by_handle(handle)
    except NotFound:
        raise ValidationError(
            f"no active user {handle!r}; {how} to an existing account "
            "(see 'incidentdesk user list')",
            field="--as",
        ) from None


def find_user(handle: str) -> User:
    """Any account, active or not, by username or email."""
    handle = (handle or "").strip().lstrip("@")
    lookup = {"email__iexact": handle} if "@" in handle else {"username__iexact": handle}
    user = User.objects.filter(**lookup).first()
    if user is None:
        raise NotFound(f"no user {handle!r} (see 'incidentdesk user list')", field="user")
    return user

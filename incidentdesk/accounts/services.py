"""Account use cases: users, roles and API tokens."""

import hashlib
import re
import secrets

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.models import ApiToken, Role, TokenScope, User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters

TOKEN_PREFIX = "idk_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _clean_user_fields(*, username: str, email: str, role: str, password: str | None) -> None:
    if not re.fullmatch(r"[\w.@+-]{1,150}", username):
        raise ValidationError("use 1 to 150 letters, digits and @ . + - _", field="username")
    try:
        validate_email(email)
    except DjangoValidationError:
        raise ValidationError(f"{email!r} is not a valid email address", field="email") from None
    if role not in Role.values:
        raise ValidationError(
            f"unknown role {role!r}; use one of {', '.join(Role.values)}", field="role"
        )
    if password is not None:
        try:
            validate_password(password)
        except DjangoValidationError as exc:
            raise ValidationError(" ".join(exc.messages), field="password") from None


def user_create(
    *,
    actor: User | None,
    source: ActionSource,
    username: str,
    email: str,
    password: str,
    role: str = Role.RESPONDER,
    full_name: str = "",
    on_responders_desk: bool = False,
) -> User:
    """Create an account. Only admins may, except for the very first account (first run),
    which anyone may create and which becomes an admin on the responders desk (so the first
    incident is announced to someone)."""
    username = (username or "").strip()
    email = (email or "").strip()
    with transaction.atomic():
        first_run = not User.objects.exists()
        if first_run:
            role, on_responders_desk = Role.ADMIN, True
        else:
            require(actor, Perm.USER_MANAGE)
        _clean_user_fields(username=username, email=email, role=role, password=password)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError(f"{username!r} is already taken", field="username")
        if User.objects.filter(email__iexact=email).exists():
            raise ValidationError(f"{email!r} already has an account", field="email")
        full_name = refuse_unsafe_characters((full_name or "").strip(), field="full_name")
        first, _, last = full_name.partition(" ")
        user = User(
            username=username,
            email=email,
            role=role,
            first_name=first[:150],
            last_name=last[:150],
            on_responders_desk=on_responders_desk,
            is_staff=role == Role.ADMIN,
            is_superuser=role == Role.ADMIN,
        )
        user.set_password(password)
        user.save()
    return user


def user_update(
    *,
    actor: User,
    source: ActionSource,
    user: User,
    role: str | None = None,
    on_responders_desk: bool | None = None,
    is_active: bool | None = None,
) -> User:
    """Change an account's role, desk membership or active flag (admins only).
    An admin cannot demote or deactivate themselves, so an organisation keeps an admin."""
    require(actor, Perm.USER_MANAGE)
    if role is not None and role not in Role.values:
        raise ValidationError(
            f"unknown role {role!r}; use one of {', '.join(Role.values)}", field="role"
        )
    if user.pk == actor.pk and ((role and role != Role.ADMIN) or is_active is False):
        raise ValidationError("you cannot demote or deactivate your own account", field="role")
    with transaction.atomic():
        if role is not None:
            user.role = role
            user.is_staff = user.is_superuser = role == Role.ADMIN
        if on_responders_desk is not None:
            user.on_responders_desk = on_responders_desk
        if is_active is not None:
            user.is_active = is_active
        user.save()
    return user


def token_create(
    *, actor: User, source: ActionSource, user: User, name: str, scope: str = TokenScope.READ
) -> tuple[ApiToken, str]:
    """Create an API token for `user` and return it with its plain text, which is never stored
    and so can be shown only this once. Users make their own tokens; admins make anyone's."""
    require(actor, Perm.TOKEN_OWN)
    if user.pk != actor.pk:
        require(actor, Perm.USER_MANAGE)
    name = refuse_unsafe_characters((name or "").strip(), field="name")
    if not name or len(name) > 100:
        raise ValidationError("give the token a name of 1 to 100 characters", field="name")
    if scope not in TokenScope.values:
        raise ValidationError(f"unknown scope {scope!r}; use read or write", field="scope")
    if scope == TokenScope.WRITE and user.effective_role == Role.VIEWER:
        raise ValidationError("a viewer's token can only be read-scoped", field="scope")
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name, scope=scope, prefix=plain[:12], digest=token_digest(plain)
    )
    return token, plain


def token_revoke(*, actor: User, source: ActionSource, token_id: int) -> ApiToken:
    """Revoke a token: its owner or an admin may. Revoking twice is harmless."""
    require(actor, Perm.TOKEN_OWN)
    token = ApiToken.objects.filter(pk=token_id).select_related("user").first()
    if token is None:
        raise NotFound(f"no token with id {token_id}", field="token")
    if token.user_id != actor.pk and actor.effective_role != Role.ADMIN:
        raise PermissionDenied("only the token's owner or an admin may revoke it")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


def token_authenticate(plain: str) -> User | None:
    """Return the user a live token belongs to, marked with the token's scope; None otherwise.
    Records when the token was last used (at most once a minute, to spare writes)."""
    if not plain or not plain.startswith(TOKEN_PREFIX):
        return None
    # The digest is unique: no ordering to compile (this runs on every API request).
    found = ApiToken.objects.filter(digest=token_digest(plain), revoked_at__isnull=True)
    token = next(iter(found.select_related("user").order_by()[:1]), None)
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    user.token_scope = token.scope
    return user


def user_by_handle(handle: str) -> User:
    """Find an active user by username or email (case-insensitive), with or without a leading @."""
    handle = (handle or "").strip().lstrip("@")
    refuse_unsafe_characters(handle, field="person")
    if not handle:
        raise ValidationError("name a person by username or email", field="person")
    lookup = {"email__iexact": handle} if "@" in handle else {"username__iexact": handle}
    user = User.objects.filter(is_active=True, **lookup).first()
    if user is None:
        raise NotFound(f"no active user {handle!r}", field="person")
    return user


def person_lookup(value, *, field: str) -> User:
    """An active account, given as a User, its id or its username; a refusal names `field`."""
    if isinstance(value, User):
        user = User.objects.filter(pk=value.pk).first()
    elif isinstance(value, int) and not isinstance(value, bool):
        user = User.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        user = User.objects.filter(username=value.strip()).first()
    else:
        user = None
    if user is None:
        raise ValidationError(f"no such person: {value!r}", field=field)
    if not user.is_active:
        raise ValidationError(f"{user.username} is deactivated", field=field)
    return user

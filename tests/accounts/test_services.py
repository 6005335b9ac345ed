"""Account use cases: users, roles and API tokens."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.accounts.models import ApiToken, Role, User
from incidentdesk.accounts.services import (
    token_authenticate,
    token_create,
    token_digest,
    token_revoke,
    user_by_handle,
    user_create,
    user_update,
)
from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource

CLI = ActionSource.CLI
PASSWORD = "correct-horse-battery-staple"


def create(actor, **fields):
    fields.setdefault("username", "newbie")
    fields.setdefault("email", "newbie@example.com")
    fields.setdefault("password", PASSWORD)
    return user_create(actor=actor, source=CLI, **fields)


@pytest.mark.django_db
def test_the_first_account_becomes_an_admin_whatever_role_was_asked():
    user = create(None, role=Role.VIEWER, full_name="Ada Lovelace")
    assert (user.role, user.is_superuser, user.is_staff) == (Role.ADMIN, True, True)
    assert user.display_name == "Ada Lovelace"
    assert user.check_password(PASSWORD)


def test_an_admin_creates_an_account_with_a_role(admin):
    user = create(admin, role=Role.VIEWER, on_responders_desk=True)
    assert (user.role, user.is_superuser, user.on_responders_desk) == (Role.VIEWER, False, True)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"username": "has space"}, "username"),
        ({"username": ""}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"role": "overlord"}, "role"),
        ({"password": "password"}, "password"),
        ({"password": "short"}, "password"),
        ({"username": "ADMIN"}, "username"),  # taken, in another case
        ({"email": "ADMIN@example.com"}, "email"),
    ],
)
def test_bad_account_input_is_refused_naming_the_field(admin, fields, field):
    admin.email = "admin@example.com"
    admin.save()
    count = User.objects.count()
    with pytest.raises(ValidationError) as caught:
        create(admin, **fields)
    assert caught.value.field == field
    assert User.objects.count() == count


def test_an_admin_changes_role_desk_and_active_flag(admin, responder):
    user_update(actor=admin, source=CLI, user=responder, role=Role.ADMIN, on_responders_desk=True)
    responder.refresh_from_db()
    assert (responder.role, responder.is_staff, responder.on_responders_desk) == (
        "admin",
        True,
        True,
    )
    user_update(actor=admin, source=CLI, user=responder, is_active=False)
    responder.refresh_from_db()
    assert not responder.is_active


@pytest.mark.parametrize("changes", [{"role": Role.MANAGER}, {"is_active": False}])
def test_an_admin_cannot_demote_or_deactivate_themselves(admin, changes):
    with pytest.raises(ValidationError):
        user_update(actor=admin, source=CLI, user=admin, **changes)
    admin.refresh_from_db()
    assert (admin.role, admin.is_active) == (Role.ADMIN, True)


def test_an_unknown_role_is_refused(admin, responder):
    with pytest.raises(ValidationError) as caught:
        user_update(actor=admin, source=CLI, user=responder, role="god")
    assert caught.value.field == "role"


def test_a_token_is_stored_only_as_a_digest(responder):
    token, plain = token_create(actor=responder, source=CLI, user=responder, name="ci")
    assert plain.startswith("idk_") and token.prefix == plain[:12]
    assert token.digest == token_digest(plain) and plain not in token.digest
    assert token.scope == "read"


def test_a_viewer_may_only_have_read_tokens(viewer):
    with pytest.raises(ValidationError) as caught:
        token_create(actor=viewer, source=CLI, user=viewer, name="x", scope="write")
    assert caught.value.field == "scope"
    assert token_create(actor=viewer, source=CLI, user=viewer, name="x")[0].scope == "read"


def test_authenticating_marks_the_user_with_the_scope_and_records_use(responder):
    token, plain = token_create(
        actor=responder, source=CLI, user=responder, name="ci", scope="write"
    )
    user = token_authenticate(plain)
    assert user == responder and user.token_scope == "write"
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_last_use_is_recorded_at_most_once_a_minute(responder):
    token, plain = token_create(actor=responder, source=CLI, user=responder, name="ci")
    recent = timezone.now() - timedelta(seconds=10)
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent)
    token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at == recent
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=recent - timedelta(minutes=5))
    token_authenticate(plain)
    token.refresh_from_db()
    assert token.last_used_at > recent


@pytest.mark.parametrize("plain", ["", "nope", "idk_forged", None])
def test_unknown_tokens_authenticate_nobody(db, plain):
    assert token_authenticate(plain) is None


def test_revoked_and_deactivated_tokens_authenticate_nobody(responder, make_user):
    token, plain = token_create(actor=responder, source=CLI, user=responder, name="ci")
    token_revoke(actor=responder, source=CLI, token_id=token.pk)
    assert token_authenticate(plain) is None
    leaver = make_user(username="leaver")
    _, other = token_create(actor=leaver, source=CLI, user=leaver, name="ci")
    leaver.is_active = False
    leaver.save()
    assert token_authenticate(other) is None


def test_revoking_twice_keeps_the_first_time(responder):
    token, _ = token_create(actor=responder, source=CLI, user=responder, name="ci")
    first = token_revoke(actor=responder, source=CLI, token_id=token.pk).revoked_at
    assert token_revoke(actor=responder, source=CLI, token_id=token.pk).revoked_at == first


def test_an_admin_may_revoke_anyones_token_and_others_may_not(admin, responder, manager):
    token, _ = token_create(actor=responder, source=CLI, user=responder, name="ci")
    with pytest.raises(PermissionDenied):
        token_revoke(actor=manager, source=CLI, token_id=token.pk)
    assert token_revoke(actor=admin, source=CLI, token_id=token.pk).revoked_at is not None


def test_people_are_found_by_username_or_email_in_any_case(make_user):
    lena = make_user(username="lena", email="Lena@Example.com")
    assert user_by_handle("LENA") == lena
    assert user_by_handle("@lena") == lena
    assert user_by_handle("lena@example.COM") == lena


def test_deactivated_or_unknown_people_are_not_found(make_user):
    make_user(username="gone", is_active=False)
    for handle in ("gone", "nobody", "x@example.com"):
        with pytest.raises(NotFound) as caught:
            user_by_handle(handle)
        assert caught.value.field == "person"
    with pytest.raises(ValidationError):
        user_by_handle("  @ ")


def test_demoting_the_first_admin_takes_away_admin_powers(admin, make_user):
    from incidentdesk.accounts.models import Role
    from incidentdesk.accounts.services import user_create, user_update
    from incidentdesk.core.sources import ActionSource

    other_admin = make_user(Role.ADMIN, username="root2")
    first = user_create(
        actor=other_admin,
        source=ActionSource.CLI,
        username="founder",
        email="f@example.com",
        password="correct-horse-battery",
        role=Role.ADMIN,
    )
    assert first.is_superuser
    user_update(actor=other_admin, source=ActionSource.WEB, user=first, role=Role.VIEWER)
    first.refresh_from_db()
    assert first.effective_role == Role.VIEWER and not first.is_superuser and not first.is_staff

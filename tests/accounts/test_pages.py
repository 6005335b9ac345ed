import pytest
from django.urls import reverse

from incidentdesk.accounts.models import ApiToken, Role, User
from incidentdesk.accounts.services import token_digest

pytestmark = pytest.mark.django_db

SETUP = {
    "username": "ada",
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "password": "a-long-unusual-passphrase",
    "password_again": "a-long-unusual-passphrase",
}


def test_every_page_leads_to_setup_until_an_account_exists(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("setup")


def test_setup_creates_the_first_admin_and_signs_them_in(client):
    response = client.post(reverse("setup"), SETUP)
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")
    user = User.objects.get(username="ada")
    assert user.effective_role == Role.ADMIN
    assert user.get_full_name() == "Ada Lovelace"
    assert client.get(reverse("dashboard")).status_code == 200


def test_setup_refuses_once_an_account_exists(client, responder):
    assert client.get(reverse("setup"))["Location"] == reverse("login")
    response = client.post(
        reverse("setup"), {**SETUP, "username": "mallory", "email": "m@example.com"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert not User.objects.filter(username="mallory").exists()


def test_setup_shows_a_weak_password_next_to_the_field(client):
    response = client.post(
        reverse("setup"), {**SETUP, "password": "short", "password_again": "short"}
    )
    assert response.status_code == 422
    assert b'id="id_password_error"' in response.content
    assert not User.objects.exists()


def test_login_page_signs_a_user_in(client, responder):
    assert client.get(reverse("login")).status_code == 200
    response = client.post(
        reverse("login"), {"username": responder.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_sign_out_is_a_post(client, responder):
    client.force_login(responder)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(reverse("dashboard")).status_code == 302


def test_repeated_failed_logins_show_the_locked_out_page(client, responder, settings):
    settings.AXES_FAILURE_LIMIT = 2
    for _ in range(2):
        response = client.post(
            reverse("login"), {"username": responder.username, "password": "wrong"}
        )
    assert response.status_code == 429
    assert b"temporarily locked" in response.content


def test_admin_creates_a_user_from_the_users_page(client, admin):
    client.force_login(admin)
    response = client.post(
        reverse("user_create"),
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "role": "viewer",
            "password": "a-long-unusual-passphrase",
            "password_again": "a-long-unusual-passphrase",
        },
    )
    assert response.status_code == 302
    assert User.objects.get(username="newbie").role == Role.VIEWER


def test_admin_changes_a_users_role_and_desk(client, admin, responder):
    client.force_login(admin)
    response = client.post(
        reverse("user_update", args=[responder.pk]),
        {"role": "manager", "on_responders_desk": "on", "is_active": "on"},
    )
    assert response.status_code == 302
    responder.refresh_from_db()
    assert (responder.role, responder.on_responders_desk, responder.is_active) == (
        "manager",
        True,
        True,
    )


def test_token_is_shown_once_and_only_its_digest_is_stored(client, responder):
    client.force_login(responder)
    response = client.post(reverse("token_create"), {"name": "ci", "scope": "write"})
    assert response.status_code == 200
    plain = response.context["new_token"]["plain"]
    assert plain.encode() in response.content
    token = ApiToken.objects.get(user=responder)
    assert token.digest == token_digest(plain)
    assert plain not in {token.name, token.prefix, token.digest}
    later = client.get(reverse("token_list"))
    assert plain.encode() not in later.content
    assert token.prefix.encode() in later.content


def test_revoking_a_token(client, responder):
    client.force_login(responder)
    client.post(reverse("token_create"), {"name": "ci", "scope": "read"})
    token = ApiToken.objects.get()
    assert client.post(reverse("token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_admin_makes_a_token_for_someone_else(client, admin, responder):
    client.force_login(admin)
    response = client.post(
        reverse("token_create"), {"name": "bot", "scope": "read", "owner": str(responder.pk)}
    )
    assert response.status_code == 200
    assert ApiToken.objects.get().user == responder


# Who may do what on the account pages: (role, action, status, words on the page). Each action
# signs in `actor` (after any setup of its own) and answers (response, whether nothing changed).


def _open_the_users_page(client, people, actor):
    client.force_login(actor)
    return client.get(reverse("user_list")), True


def _make_the_viewer_an_admin(client, people, actor):
    client.force_login(actor)
    viewer = people["viewer"]
    response = client.post(
        reverse("user_update", args=[viewer.pk]), {"role": "admin", "is_active": "on"}
    )
    viewer.refresh_from_db()
    return response, viewer.role == Role.VIEWER


def _make_a_write_token(client, people, actor):
    client.force_login(actor)
    response = client.post(reverse("token_create"), {"name": "ci", "scope": "write"})
    return response, not ApiToken.objects.exists()


def _revoke_the_managers_token(client, people, actor):
    client.force_login(people["manager"])
    client.post(reverse("token_create"), {"name": "mine", "scope": "read"})
    token = ApiToken.objects.get()
    client.force_login(actor)
    response = client.post(reverse("token_revoke", args=[token.pk]))
    token.refresh_from_db()
    return response, token.revoked_at is None


ACCOUNT_PAGE_CASES = [
    ("responder", _open_the_users_page, 403, b"needs admin"),
    ("admin", _open_the_users_page, 200, b"rita"),  # the responder is listed
    ("responder", _make_the_viewer_an_admin, 403, None),
    ("viewer", _make_a_write_token, 422, b"read-scoped"),
    ("responder", _revoke_the_managers_token, 403, None),
]


@pytest.mark.parametrize(
    ("role", "action", "status", "words"),
    ACCOUNT_PAGE_CASES,
    ids=[f"{role}-{action.__name__.strip('_')}" for role, action, *_ in ACCOUNT_PAGE_CASES],
)
def test_who_may_use_the_account_pages(
    client, admin, manager, responder, viewer, role, action, status, words
):
    people = {"admin": admin, "manager": manager, "responder": responder, "viewer": viewer}
    response, unchanged = action(client, people, people[role])
    assert response.status_code == status
    if words is not None:
        assert words in response.content
    assert unchanged

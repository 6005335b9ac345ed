import json

from incidentdesk.accounts.models import ApiToken, Role, User
from incidentdesk.accounts.services import token_authenticate, token_digest

PASSWORD = "correct-horse-battery-staple\n"


def test_the_first_account_reads_its_password_from_stdin_and_becomes_admin(cli):
    run = cli("user", "create", "--username", "ada", "--email", "ada@example.com", stdin=PASSWORD)
    assert run.code == 0, run.err
    assert "admin" in run.out
    user = User.objects.get(username="ada")
    assert user.effective_role == Role.ADMIN
    assert user.check_password("correct-horse-battery-staple")


def test_creating_more_accounts_needs_an_admin_acting(cli, admin, responder):
    args = ("user", "create", "--username", "bo", "--email", "bo@example.com", "--role", "manager")
    missing = cli(*args, stdin=PASSWORD)
    assert missing.code == 2 and "--as" in missing.err
    refused = cli(*args, "--as", "rita", stdin=PASSWORD)
    assert refused.code == 2 and "may not do this" in refused.err
    run = cli(*args, "--desk", "--full-name", "Bo Diaz", "--as", "admin", stdin=PASSWORD)
    assert (run.code, run.out.strip()) == (0, "Created manager account 'bo'.")
    user = User.objects.get(username="bo")
    assert (user.role, user.on_responders_desk, user.display_name) == ("manager", True, "Bo Diaz")


def test_a_weak_or_missing_password_exits_2_and_creates_nothing(cli):
    args = ("user", "create", "--username", "ada", "--email", "ada@example.com")
    weak = cli(*args, stdin="short\n")
    assert weak.code == 2 and weak.err.startswith("error: password: This password is too short")
    empty = cli(*args, stdin="")
    assert empty.code == 2 and "first line of standard input" in empty.err
    assert not User.objects.exists()


def test_user_list_prints_a_table_and_json(cli, admin, responder):
    table = cli("user", "list").out.splitlines()
    assert table[0].split()[:4] == ["USERNAME", "NAME", "EMAIL", "ROLE"]
    assert [line.split()[0] for line in table[1:]] == ["admin", "rita"]
    listed = json.loads(cli("user", "list", "--json").out)
    assert [(u["username"], u["role"]) for u in listed] == [
        ("admin", "admin"),
        ("rita", "responder"),
    ]


def test_user_set_role_and_update(cli, admin, responder):
    assert cli("user", "set-role", "rita", "manager", "--as", "admin").code == 0
    assert cli("user", "update", "rita", "--desk", "--as", "admin").code == 0
    responder.refresh_from_db()
    assert (responder.role, responder.on_responders_desk) == ("manager", True)
    bad = cli("user", "set-role", "rita", "boss", "--as", "admin")
    assert bad.code == 2 and bad.err.startswith("error: role: unknown role 'boss'")


def test_token_create_prints_only_a_token_that_authenticates(cli, admin, responder):
    run = cli("token", "create", "--user", "rita", "--scope", "write", "--as", "rita")
    assert run.code == 0, run.err
    plain = run.out.strip()
    assert run.out == plain + "\n"
    assert token_authenticate(plain) == responder
    stored = ApiToken.objects.get()
    assert stored.digest == token_digest(plain)
    assert plain not in {stored.digest, stored.prefix, stored.name}


def test_token_create_for_someone_else_needs_an_admin(cli, admin, responder, viewer):
    refused = cli("token", "create", "--user", "vic", "--as", "rita")
    assert refused.code == 2 and "may not do this" in refused.err
    assert cli("token", "create", "--user", "vic", "--as", "admin").code == 0
    assert cli("token", "create", "--user", "vic", "--scope", "write", "--as", "admin").code == 2


def test_the_only_admin_can_create_their_token_without_as(cli, admin, responder):
    run = cli("token", "create", "--user", "admin", "--scope", "write")
    assert run.code == 0, run.err
    assert token_authenticate(run.out.strip()) == admin
    assert cli("token", "create", "--user", "rita").code == 2  # others still say who acts


def test_token_list_and_revoke(cli, admin, responder):
    plain = cli("token", "create", "--user", "rita", "--name", "laptop", "--as", "rita").out.strip()
    token = ApiToken.objects.get()
    listing = cli("token", "list", "--user", "rita").out
    assert "laptop" in listing and token.prefix in listing and plain not in listing
    run = cli("token", "revoke", str(token.pk), "--as", "rita")
    assert run.code == 0, run.err
    assert token_authenticate(plain) is None
    assert "revoked" in cli("token", "list").out
    assert cli("token", "revoke", "999", "--as", "rita").code == 2


def test_a_bad_sub_command_exits_2_with_one_line(cli):
    run = cli("token", "create", "--user", "x", "--scope", "admin")
    assert run.code == 2
    assert run.err.startswith("error: argument --scope: invalid choice: 'admin'")
    assert len(run.err.strip().splitlines()) == 1

"""Fixtures every folder of tests shares: people in each role, a declared incident, API
clients, the CLI run in-process, and the environment of a real `incidentdesk` process."""

import io
import json
import os
import sys
from dataclasses import dataclass

import pytest
from django.core.management import get_commands, load_command_class
from django.test import Client, TransactionTestCase

from incidentdesk.accounts.models import ApiToken, Role, User
from incidentdesk.accounts.services import token_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    ActionItem,
    Component,
    Incident,
    RoleAssignment,
    Severity,
    TimelineEntry,
    TimelineRevision,
)
from incidentdesk.incidents.services import incident_declare
from tests.factories import UserFactory

# The second pass over the suite (on PostgreSQL) runs only the tests that use the database -----

# pytest-django's fixtures that give a test the database; a fixture of ours that asks for one
# of them (`make_user`, `cli`, …) shows up in the test's `fixturenames` too.
DATABASE_FIXTURES = {
    "db",
    "transactional_db",
    "django_db_reset_sequences",
    "django_db_serialized_rollback",
    "django_db_setup",
    "live_server",
}


def pytest_addoption(parser):
    parser.addoption(
        "--database-tests-only",
        action="store_true",
        help="run only the tests that use the configured database; the others behave the same "
        "on any database (`make test` runs them on SQLite only)",
    )


def uses_database(item) -> bool:
    """Whether a test reaches the configured database: a database fixture (its own or through
    another fixture), a `django_db` mark, a `postgres` mark (e.g. for real processes given the
    suite's server), a Django TestCase class, or a parameter naming the PostgreSQL server its
    processes use."""
    if DATABASE_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    if item.get_closest_marker("django_db") or item.get_closest_marker("postgres"):
        return True
    if isinstance(getattr(item, "cls", None), type) and issubclass(item.cls, TransactionTestCase):
        return True  # Django's TestCase classes (none yet)
    callspec = getattr(item, "callspec", None)
    values = callspec.params.values() if callspec else ()
    return any(value == "postgresql" for value in values if isinstance(value, str))


@pytest.hookimpl(trylast=True)  # after `-m`'s deselection, so the counts add up
def pytest_collection_modifyitems(config, items):
    if not config.getoption("database_tests_only"):
        return
    kept = [item for item in items if uses_database(item)]
    dropped = [item for item in items if not uses_database(item)]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter:
        reporter.write_line(
            f"--database-tests-only: {len(kept)} tests use the database, "
            f"{len(dropped)} that never do are deselected (they ran on SQLite)"
        )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def is_transactional(request) -> bool:
    """Whether a test runs in real transactions (so its tables are flushed, not rolled back)."""
    marker = request.node.get_closest_marker("django_db")
    return (
        "transactional_db" in request.fixturenames
        or "live_server" in request.fixturenames
        or bool(marker and marker.kwargs.get("transaction"))
    )


@pytest.fixture(autouse=True)
def _default_severities(request):
    """Transactional tests flush the tables, data migrations' rows included: put the default
    severity levels back for them."""
    if is_transactional(request):
        from incidentdesk.incidents.defaults import ensure_default_severities
        from incidentdesk.incidents.models import Severity

        request.getfixturevalue("transactional_db")
        ensure_default_severities(Severity)


@pytest.fixture(autouse=True)
def _fresh_process_state(request):
    """What a server process remembers between requests starts afresh for each test: whether
    an account exists (the first-run redirect), and, for transactional tests, which public
    documents it holds (they flush the table and number new versions from 1 again, which the
    cache would take for versions it already has)."""
    from incidentdesk.core.middleware import FirstRunMiddleware

    FirstRunMiddleware.has_users = False
    if is_transactional(request):
        from incidentdesk.statuspage import public_site

        public_site.cache.reset()


@pytest.fixture
def make_user(db):
    def make(role: str = Role.RESPONDER, **kwargs):
        return UserFactory(role=role, **kwargs)

    return make


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, username="admin", is_staff=True)


@pytest.fixture
def manager(make_user):
    return make_user(Role.MANAGER, username="manny")


@pytest.fixture
def responder(make_user):
    return make_user(Role.RESPONDER, username="rita")


@pytest.fixture
def viewer(make_user):
    return make_user(Role.VIEWER, username="vic")


@pytest.fixture
def manager_client(client, manager):
    client.force_login(manager)
    return client


@pytest.fixture
def declare(responder):
    """Declare a live incident through the service, as `actor` (default: a responder)."""

    def make(actor=None, **fields):
        fields.setdefault("title", "Checkout is failing")
        fields.setdefault("severity", "major")
        fields.setdefault("criteria", ["immediate_response"])
        return incident_declare(actor=actor or responder, source=ActionSource.WEB, **fields)

    return make


class ApiClient(Client):
    """A test client that speaks JSON to /api/v1 with a bearer token."""

    def call(self, method: str, path: str, body=None, raw: str | None = None):
        data = raw if raw is not None else (json.dumps(body) if body is not None else None)
        kwargs = {"content_type": "application/json"} if data is not None else {}
        response = getattr(self, method.lower())(f"/api/v1{path}", data, **kwargs)
        try:
            response.json_body = response.json()
        except ValueError:
            response.json_body = None
        return response


@pytest.fixture
def api_client(db):
    """`api_client(user, scope="write")` gives a client authenticated with a fresh token."""

    def make(user, scope: str = "write"):
        _, plain = token_create(
            actor=user, source=ActionSource.CLI, user=user, name="test", scope=scope
        )
        return ApiClient(HTTP_AUTHORIZATION=f"Bearer {plain}")

    return make


# API doors ----------------------------------------------------------------------------------

COUNTED = (
    Incident,
    TimelineEntry,
    TimelineRevision,
    RoleAssignment,
    ActionItem,
    Component,
    Severity,
    User,
    ApiToken,
)


@pytest.fixture
def rita(api_client, responder):
    """A responder's API client (write-scoped token)."""
    return api_client(responder)


@pytest.fixture
def boss(api_client, admin):
    return api_client(admin)


@pytest.fixture
def incident(declare):
    return declare(summary="Payments fail", severity="major")


@pytest.fixture
def db_state():
    """`db_state()` gives the rows that matter, to show a refused write changed nothing."""

    def state():
        rows = {m.__name__: list(m.objects.order_by("pk").values()) for m in COUNTED}
        for token in rows["ApiToken"]:
            del token["last_used_at"]  # using a token is not a write of the request's own
        return rows

    return state


# The CLI, in-process and as a real process ---------------------------------------------------


@dataclass
class Run:
    code: int
    out: str
    err: str


@pytest.fixture
def cli(db, capsys, monkeypatch):
    """`cli("declare", "--title", …, stdin="…")` runs a command the way the `incidentdesk`
    console script does (argument parsing, error mapping, exit code), inside the test's
    database transaction, and returns its exit code and output."""
    monkeypatch.delenv("INCIDENTDESK_USER", raising=False)

    def run(name: str, *args: str, stdin: str | None = None) -> Run:
        if stdin is not None:
            monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        capsys.readouterr()
        command = load_command_class(get_commands()[name], name)
        try:
            command.run_from_argv(["incidentdesk", name, *args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else 1
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


@pytest.fixture
def own_env(tmp_path) -> dict[str, str]:
    """The environment of a real `incidentdesk` process with its own data dir and a real
    task queue (not the inline one the in-process tests use)."""
    # Its own SQLite file, whatever database the suite runs on: a child process must never
    # write into the suite's configured server database.
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "INCIDENTDESK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        INCIDENTDESK_DATA_DIR=str(tmp_path / "data"),
        INCIDENTDESK_TASKS_IMMEDIATE="0",
        DJANGO_SETTINGS_MODULE="incidentdesk.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env

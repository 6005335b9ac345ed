"""Every door refuses text that XML and JSON consumers cannot carry (here U+000B) with an
error naming the field, and stores nothing: web forms, the JSON API, the CLI and the command
language, for incidents, the timeline, the status page, postmortems, tokens and users."""

import io
import sys
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import get_commands, load_command_class
from django.test import Client
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_resolve
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.postmortems.services import postmortem_start
from incidentdesk.statuspage import services as statuspage
from tests.factories import ComponentFactory

BAD = "Broken\x0bline"
CODE = "U+000B"
OUR_APPS = ("accounts", "incidents", "statuspage", "postmortems", "notifications")


VOLATILE = {"last_login", "last_used_at"}  # touched by signing in, not by the write
# Every subscribe attempt is counted for the rate limit, refused ones included, by design.
COUNTERS = {"statuspage.SubscribeAttempt"}


def stored_rows() -> dict:
    """Every row of our apps, to show that a refused write changed nothing."""
    rows = {}
    for app in OUR_APPS:
        for model in apps.get_app_config(app).get_models():
            if model._meta.label in COUNTERS:
                continue
            names = [f.attname for f in model._meta.concrete_fields if f.name not in VOLATILE]
            rows[model._meta.label] = sorted(map(repr, model.objects.values_list(*names)))
    return rows


class Desk:
    """An admin, an open incident, a published one and a resolved one with a postmortem."""

    def __init__(self, admin, declare):
        ComponentFactory(name="API")
        self.admin = admin
        self.open = declare(actor=admin, title="Open one")
        self.published = declare(actor=admin, title="Published one")
        statuspage.publication_create(
            actor=admin,
            source=ActionSource.WEB,
            incident=self.published,
            name="API errors",
            message="Looking.",
        )
        self.done = declare(actor=admin, title="Done one")
        incident_resolve(actor=admin, source=ActionSource.WEB, incident=self.done, message="Ok.")
        postmortem_start(actor=admin, source=ActionSource.WEB, incident=self.done)


@pytest.fixture
def desk(admin, declare):
    return Desk(admin, declare)


# The web: each form posted as htmx does, so a service error comes back as a 422 toast -------


def web(path, data):
    def post(desk, client):
        return client.post(path.format(d=desk), data, HTTP_HX_REQUEST="true")

    return post


def later(hours: int) -> str:
    return (timezone.localtime() + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


WEB = {
    "declare title": (
        web(
            "/incidents/new",
            {"title": BAD, "severity": "major", "kind": "live", "criteria": "immediate_response"},
        ),
        "title",
    ),
    "edit summary": (
        web(
            "/incidents/{d.open.reference}/edit/details",
            {"title": "Open one", "severity": "major", "summary": BAD},
        ),
        "summary",
    ),
    "timeline entry": (
        web("/incidents/{d.open.reference}/timeline/add", {"kind": "note", "body": BAD}),
        "body",
    ),
    # The command box answers under the box itself, so its reply need not name a field.
    "command box": (web("/incidents/{d.open.reference}/command", {"text": f"note {BAD}"}), None),
    "statuspage publish": (
        web(
            "/statuspage/incidents/{d.open.reference}/publish",
            {
                "name": "API errors",
                "message": BAD,
                "status": "identified",
                "remind_interval_minutes": "30",
            },
        ),
        "message",
    ),
    "statuspage update": (
        web(
            "/statuspage/incidents/{d.published.reference}/update",
            {"message": BAD, "status": "identified"},
        ),
        "message",
    ),
    "statuspage resolve": (
        web("/statuspage/incidents/{d.published.reference}/resolve", {"message": BAD}),
        "message",
    ),
    "maintenance": (
        web(
            "/statuspage/maintenance",
            {
                "name": BAD,
                "message": "Upgrading.",
                "scheduled_for": later(1),
                "scheduled_until": later(2),
            },
        ),
        "name",
    ),
    "banner": (
        web("/statuspage/banner", {"active": "on", "kind": "info", "message": BAD}),
        "message",
    ),
    "postmortem section": (
        web(
            "/incidents/{d.done.reference}/postmortem/edit",
            {"part": "section", "key": "summary", "text": BAD},
        ),
        "sections.summary",
    ),
    "subscribe webhook": (
        web("/subscribe", {"kind": "webhook", "url": f"https://93.184.216.34/{BAD}"}),
        "url",
    ),
    "token": (web("/tokens/new", {"name": BAD, "scope": "read"}), "name"),
    "user": (
        web(
            "/users/new",
            {
                "username": "newbie",
                "email": "newbie@example.test",
                "full_name": BAD,
                "role": Role.RESPONDER,
                "password": "A-long-enough-pass-1",
                "password_again": "A-long-enough-pass-1",
                "password2": "A-long-enough-pass-1",
            },
        ),
        "full_name",
    ),
}


def form_errors(response) -> dict:
    """Field errors of the forms the answer rendered (form views answer with the form)."""
    context = response.context
    if context is None:
        return {}
    if hasattr(context, "flatten"):
        values = list(context.flatten().values())
    else:
        values = [context[key] for key in context.keys()]  # noqa: SIM118 (a ContextList iterates contexts)
    errors: dict = {}
    for value in values:
        if hasattr(value, "fields") and getattr(value, "errors", None):
            errors.update(value.errors)
    return errors


@pytest.mark.parametrize("case", WEB, ids=list(WEB))
def test_a_web_form_refuses_the_character_naming_the_field(desk, case):
    send, field = WEB[case]
    client = Client()
    client.force_login(desk.admin)
    before = stored_rows()
    response = send(desk, client)
    assert response.status_code == 422, response.content[:500]
    text = response.content.decode()
    assert CODE in text
    errors = form_errors(response)
    if field is None:
        pass
    elif errors:  # a form view: the error sits next to its field
        assert any(CODE in message for message in errors[field.split(".")[0]])
    else:  # a service error as a toast, led by the field in words
        assert field.replace("_", " ").split(".")[-1] in text.lower()
    assert stored_rows() == before


# The JSON API ---------------------------------------------------------------------------------

API = {
    "declare title": (
        "POST",
        "/incidents",
        {"title": BAD, "severity": "major", "criteria": ["immediate_response"]},
        "title",
    ),
    "edit summary": ("PATCH", "/incidents/{d.open.reference}", {"summary": BAD}, "summary"),
    "timeline entry": (
        "POST",
        "/incidents/{d.open.reference}/timeline",
        {"kind": "note", "body": BAD},
        "body",
    ),
    "command": ("POST", "/incidents/{d.open.reference}/commands", {"text": f"note {BAD}"}, "text"),
    "statuspage publish": (
        "POST",
        "/incidents/{d.open.reference}/publication",
        {"name": "API errors", "message": BAD},
        "message",
    ),
    "statuspage update": (
        "POST",
        "/incidents/{d.published.reference}/publication/updates",
        {"message": BAD},
        "message",
    ),
    "statuspage resolve": (
        "POST",
        "/incidents/{d.published.reference}/publication/resolve",
        {"message": BAD},
        "message",
    ),
    "banner": ("PUT", "/statuspage/banner", {"active": True, "message": BAD}, "message"),
    "postmortem section": (
        "PATCH",
        "/incidents/{d.done.reference}/postmortem",
        {"sections": {"summary": BAD}},
        "sections",
    ),
    "component": ("POST", "/components", {"name": BAD}, "name"),
    "token": ("POST", "/tokens", {"name": BAD, "scope": "read"}, "name"),
}


@pytest.mark.parametrize("case", API, ids=list(API))
def test_the_api_refuses_the_character_naming_the_field(desk, api_client, case):
    method, path, body, field = API[case]
    client = api_client(desk.admin)
    before = stored_rows()
    response = client.call(method, path.format(d=desk), body)
    assert response.status_code == 422, response.json_body
    detail = str(response.json_body["detail"])
    assert CODE in detail and field in detail
    assert stored_rows() == before


# The CLI --------------------------------------------------------------------------------------

CLI = {
    "declare title": (
        ["declare", "--title", BAD, "--severity", "major", "--criteria", "immediate_response"],
        "title",
    ),
    "say": (["say", "{d.open.reference}", f"note {BAD}"], "body"),
    # Django's URL check lets U+0001 through in a path; the text check does not.
    "tracker url": (
        ["update", "{d.open.reference}", "--tracker-url", "https://example.test/a\x01b"],
        "tracker_url",
    ),
    "statuspage publish": (
        ["statuspage", "publish", "{d.open.reference}", "--name", "API errors", "--message", BAD],
        "message",
    ),
    "statuspage update": (
        ["statuspage", "update", "{d.published.reference}", "--message", BAD],
        "message",
    ),
    "statuspage resolve": (
        ["statuspage", "resolve", "{d.published.reference}", "--message", BAD],
        "message",
    ),
    "banner": (["statuspage", "banner", "--message", BAD], "message"),
    "postmortem section": (
        ["postmortem", "edit", "{d.done.reference}", "--section", "summary", "--text", BAD],
        "sections.summary",
    ),
    "token": (["token", "create", "--user", "admin", "--name", BAD], "name"),
    "user": (
        [
            "user",
            "create",
            "--username",
            "newbie",
            "--email",
            "newbie@example.test",
            "--full-name",
            BAD,
        ],
        "full_name",
    ),
}


def run_cli(argv: list[str], capsys) -> tuple[int, str]:
    """Run a command as the `incidentdesk` script does: parsing, error mapping, exit code."""
    name = argv[0]
    command = load_command_class(get_commands()[name], name)
    capsys.readouterr()
    try:
        command.run_from_argv(["incidentdesk", *argv])
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    return code, capsys.readouterr().err


@pytest.mark.parametrize("case", CLI, ids=list(CLI))
def test_the_cli_refuses_the_character_naming_the_field(desk, case, capsys, monkeypatch):
    argv, field = CLI[case]
    monkeypatch.setenv("INCIDENTDESK_USER", desk.admin.username)
    monkeypatch.setattr(sys, "stdin", io.StringIO("A-long-enough-pass-1\n"))  # user create
    before = stored_rows()
    code, err = run_cli([arg.format(d=desk) for arg in argv], capsys)
    assert code == 2, err
    assert err.startswith(f"error: {field}: ") and "contains the character U+00" in err
    assert stored_rows() == before


# The command language (the same parser behind the web box, the API, `say` and chat) ----------

COMMANDS = {
    "note": f"note {BAD}",
    "decision": f"decision {BAD}",
    "action": f"action {BAD}",
    "summary": f"summary {BAD}",
    "impact": f"impact {BAD}",
    "statuspage name": f"statuspage API{BAD} | Looking into it.",
    "statuspage message": f"statuspage API errors | {BAD}",
    "resolve": f"resolve {BAD}",
}


@pytest.mark.parametrize("command", COMMANDS, ids=list(COMMANDS))
def test_every_text_command_refuses_the_character_naming_the_field(desk, command):
    before = stored_rows()
    with pytest.raises(ValidationError) as refused:
        command_run(
            actor=desk.admin, source=ActionSource.CLI, incident=desk.open, text=COMMANDS[command]
        )
    assert CODE in refused.value.message and refused.value.field
    assert stored_rows() == before

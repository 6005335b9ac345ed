"""Routes through the API and the command line: admins list them in the order they are
tried, create, change and delete them; bad input is refused naming the field, and nobody
else may read or write them."""

import json

import pytest

from incidentdesk.alerts.models import Route
from incidentdesk.alerts.services import integration_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.oncall.models import EscalationPolicy

CLI = ActionSource.CLI
DECLARE = {
    "action": "declare",
    "severity": "major",
    "matchers": [{"label": "severity", "op": "=", "value": "critical"}],
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def database(admin):
    return component_save(actor=admin, source=CLI, name="Database")


# API ------------------------------------------------------------------------------------------


def test_the_api_creates_lists_in_match_order_updates_and_deletes_a_route(boss, admin, database):
    EscalationPolicy.objects.create(name="primary", is_default=True)
    integration, _ = integration_create(actor=admin, source=CLI, kind="alertmanager", name="am")
    late = boss.call("POST", "/routes", {"position": 20, "name": "late"})
    assert late.status_code == 201, late.json_body
    early = boss.call(
        "POST",
        "/routes",
        {
            **DECLARE,
            "integration": integration.pk,
            "position": 10,
            "name": "early",
            "components": [database.pk],
            "pages": True,
        },
    )
    assert early.status_code == 201, early.json_body
    body = early.json_body
    assert body["integration"] == integration.pk and body["severity"] == "major"
    assert body["components"] == ["Database"] and body["pages"] is True
    assert body["author"] == "admin" and body["matchers"] == DECLARE["matchers"]

    listed = boss.call("GET", "/routes")
    assert listed.status_code == 200
    assert [r["name"] for r in listed.json_body] == ["early", "late"]

    moved = boss.call("PATCH", f"/routes/{late.json_body['id']}", {"position": 1})
    assert moved.status_code == 200, moved.json_body
    assert moved.json_body["name"] == "late" and moved.json_body["action"] == "record"
    assert [r["name"] for r in boss.call("GET", "/routes").json_body] == ["late", "early"]

    widened = boss.call("PATCH", f"/routes/{body['id']}", {"integration": None})
    assert widened.status_code == 200 and widened.json_body["integration"] is None
    assert widened.json_body["severity"] == "major"

    gone = boss.call("DELETE", f"/routes/{late.json_body['id']}")
    assert gone.status_code == 204
    assert [r.name for r in Route.objects.all()] == ["early"]


def test_the_api_refuses_bad_routes_naming_the_field(boss):
    def refused(body, method="POST", path="/routes"):
        answer = boss.call(method, path, body)
        assert answer.status_code in (404, 422), (body, answer.status_code, answer.json_body)
        return answer.json_body["field"]

    bad_op = {**DECLARE, "matchers": [{"label": "team", "op": "~=", "value": "pay"}]}
    assert refused(bad_op) == "matchers[0].op"
    bad_regex = {**DECLARE, "matchers": [{"label": "team", "op": "=~", "value": "pay("}]}
    assert refused(bad_regex) == "matchers[0].value"
    assert refused({**DECLARE, "matchers": "severity=critical"}) == "matchers"
    assert refused({**DECLARE, "severity": "apocalyptic"}) == "severity"
    assert refused({**DECLARE, "severity": None}) == "severity"
    assert refused({"action": "page"}) == "action"
    assert refused({"action": "attach"}) == "components"
    assert refused({"components": ["Nowhere"]}) == "components"
    assert refused({"integration": 999}) == "integration"
    assert refused({"position": -1}) == "position"
    assert refused({"position": "1"}) == "position"
    assert refused({"colour": "red"}) == "colour"
    assert not Route.objects.exists()

    made = boss.call("POST", "/routes", DECLARE).json_body
    assert refused({"severity": "nope"}, "PATCH", f"/routes/{made['id']}") == "severity"
    assert refused({"position": None}, "PATCH", f"/routes/{made['id']}") == "position"
    assert Route.objects.get().severity.key == "major"
    assert boss.call("PATCH", "/routes/999", {"name": "x"}).status_code == 404
    assert boss.call("DELETE", "/routes/999").status_code == 404


def test_only_admins_read_or_write_routes_over_the_api(rita, boss):
    assert rita.call("GET", "/routes").status_code == 403
    assert rita.call("POST", "/routes", {"name": "mine"}).status_code == 403
    made = boss.call("POST", "/routes", {"name": "theirs"}).json_body
    assert rita.call("PATCH", f"/routes/{made['id']}", {"name": "mine"}).status_code == 403
    assert rita.call("DELETE", f"/routes/{made['id']}").status_code == 403
    assert [r.name for r in Route.objects.all()] == ["theirs"]


# CLI ------------------------------------------------------------------------------------------


def test_the_cli_creates_lists_and_deletes_a_route(cli, admin, database):
    run = cli(
        "route", "create", "--action", "declare", "--severity", "major",
        "--match", "severity=critical", "--match", "team=~pay.*", "--match", "env!=dev",
        "--component", str(database.pk), "--position", "5", "--name", "payments",
        "--as", "admin",
    )  # fmt: skip
    assert run.code == 0, run.err
    route = Route.objects.get()
    assert route.matchers == [
        {"label": "severity", "op": "=", "value": "critical"},
        {"label": "team", "op": "=~", "value": "pay.*"},
        {"label": "env", "op": "!=", "value": "dev"},
    ]
    assert route.severity.key == "major" and [c.name for c in route.components.all()] == [
        "Database"
    ]
    assert cli("route", "create", "--action", "record", "--as", "admin").code == 0

    listing = cli("route", "list", "--as", "admin")
    assert listing.code == 0, listing.err
    lines = listing.out.strip().splitlines()
    assert "team=~pay.*" in lines[2] and "payments" in lines[2] and "record" in lines[1]
    as_json = json.loads(cli("route", "list", "--json", "--as", "admin").out)
    assert [r["position"] for r in as_json] == [0, 5]
    assert as_json[1]["components"] == ["Database"]

    deleted = cli("route", "delete", str(route.pk), "--as", "admin")
    assert deleted.code == 0, deleted.err
    assert not Route.objects.filter(pk=route.pk).exists()
    assert cli("route", "delete", str(route.pk), "--as", "admin").code == 2


def test_the_cli_refuses_bad_routes_and_non_admins_with_exit_2(cli, admin, responder):
    def refused(*args, who="admin"):
        run = cli("route", "create", *args, "--as", who)
        assert run.code == 2, (args, run.out)
        return run.err

    declare = ("--action", "declare", "--severity", "major")
    assert refused(*declare, "--match", "severity").startswith("error: --match[0]:")
    assert refused(*declare, "--match", "a=b", "--match", "team=~pay(").startswith(
        "error: --match[1].value:"
    )
    assert refused(*declare, "--match", "bad label=x").startswith("error: --match[0].label:")
    assert refused("--action", "declare", "--severity", "apocalyptic").startswith(
        "error: --severity:"
    )
    assert refused("--action", "declare").startswith("error: --severity:")
    assert "--action" in refused("--action", "page")
    assert refused("--action", "attach", "--component", "Nowhere").startswith("error: --component:")
    assert "may not do this" in refused("--action", "record", who="rita")
    assert not Route.objects.exists()
    assert cli("route", "list", "--as", "rita").code == 2


# The escalation policy a paging route pages through ----------------------------------------


def test_the_api_names_a_routes_policy_and_refuses_one_it_cannot_find(boss):
    EscalationPolicy.objects.create(name="database", is_default=False)
    made = boss.call("POST", "/routes", {"pages": True, "policy": "database"})
    assert made.status_code == 201, made.json_body
    assert made.json_body["policy"] == "database" and made.json_body["pages"] is True
    unknown = boss.call("PATCH", f"/routes/{made.json_body['id']}", {"policy": "nobody"})
    assert unknown.status_code == 404 and unknown.json_body["field"] == "policy"
    assert Route.objects.get().policy.name == "database"


def test_a_paging_route_without_a_policy_needs_a_default_policy(boss):
    refused = boss.call("POST", "/routes", {"pages": True})
    assert refused.status_code == 422 and refused.json_body["field"] == "policy"
    assert not Route.objects.exists()
    EscalationPolicy.objects.create(name="primary", is_default=True)
    made = boss.call("POST", "/routes", {"pages": True})
    assert made.status_code == 201 and made.json_body["policy"] is None


def test_the_cli_creates_a_paging_route_with_its_policy(cli, admin):
    EscalationPolicy.objects.create(name="database")
    done = cli(
        "route", "create", "--action", "record", "--pages", "--policy", "database", "--as", "admin"
    )
    assert done.code == 0, done.err
    assert Route.objects.get().policy.name == "database"
    listed = cli("route", "list", "--as", "admin")
    assert "PAGES" in listed.out and "database" in listed.out
    refused = cli(
        "route", "create", "--action", "record", "--pages", "--policy", "x", "--as", "admin"
    )
    assert refused.code == 2 and "--policy" in refused.err

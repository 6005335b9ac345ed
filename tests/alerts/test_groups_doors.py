"""Alert groups through the API (/api/v1/alert-groups) and the command line (`alerts`): open
groups first with filters, a group with its alerts, acknowledging and resolving by hand; the
same rules as the web (responders act, a restricted incident's group does not exist for
outsiders), and bad input refused naming the field."""

import json

import pytest

from incidentdesk.alerts.models import AlertGroup, GroupStatus
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.services.incidents import incident_declare
from tests.alerts import test_routes
from tests.alerts.test_web_groups import link_to_a_restricted_incident

pytestmark = pytest.mark.django_db
CLI = ActionSource.CLI
integration = test_routes.integration
receive = test_routes.receive
alert = test_routes.alert


@pytest.fixture
def groups(receive):
    receive(alert("fp1", group="disk"), alert("fp2", group="disk"))
    receive(alert("w", group="watchdog"))
    receive(alert("w", group="watchdog", status="resolved"))
    return AlertGroup.objects.get(group_key="disk"), AlertGroup.objects.get(group_key="watchdog")


def test_the_api_lists_open_groups_and_shows_one_with_its_alerts(rita, groups):
    disk, watchdog = groups
    listed = rita.call("GET", "/alert-groups")
    assert listed.status_code == 200
    assert [g["id"] for g in listed.json_body["items"]] == [disk.pk]
    every = rita.call("GET", f"/alert-groups?status=any&integration={disk.integration_id}")
    assert [g["id"] for g in every.json_body["items"]] == [disk.pk, watchdog.pk]
    shown = rita.call("GET", f"/alert-groups/{disk.pk}").json_body
    assert shown["alert_count"] == 2 and [a["key"] for a in shown["alerts"]] == ["fp1", "fp2"]
    assert shown["alerts"][0]["labels"]["alertname"] == "DiskFull"
    assert rita.call("GET", "/alert-groups?status=burning").status_code == 422
    assert rita.call("GET", "/alert-groups/999").status_code == 404


def test_the_api_acknowledges_and_resolves_a_group(rita, responder, groups):
    disk, _ = groups
    acked = rita.call("POST", f"/alert-groups/{disk.pk}/acknowledge")
    assert acked.status_code == 200 and acked.json_body["status"] == "acknowledged"
    resolved = rita.call("POST", f"/alert-groups/{disk.pk}/resolve")
    assert resolved.status_code == 200 and resolved.json_body["status"] == "resolved"
    assert {a["status"] for a in resolved.json_body["alerts"]} == {"resolved"}
    again = rita.call("POST", f"/alert-groups/{disk.pk}/acknowledge")
    assert again.status_code == 422 and again.json_body["field"] == "group"


def test_viewers_read_groups_over_the_api_but_may_not_act(api_client, viewer, groups):
    disk, _ = groups
    vic = api_client(viewer, scope="read")
    assert vic.call("GET", f"/alert-groups/{disk.pk}").status_code == 200
    assert vic.call("POST", f"/alert-groups/{disk.pk}/resolve").status_code == 403
    disk.refresh_from_db()
    assert disk.status == GroupStatus.FIRING


def test_a_restricted_incidents_group_is_not_found_over_the_api(rita, admin, groups):
    disk, _ = groups
    link_to_a_restricted_incident(disk, admin)
    assert rita.call("GET", f"/alert-groups/{disk.pk}").status_code == 404
    assert rita.call("POST", f"/alert-groups/{disk.pk}/acknowledge").status_code == 404
    assert disk.pk not in [g["id"] for g in rita.call("GET", "/alert-groups").json_body["items"]]


def test_the_cli_lists_shows_acknowledges_and_resolves_groups(cli, admin, responder, groups):
    disk, watchdog = groups
    disk.incident = incident_declare(
        actor=admin, source=CLI, title="Disk full", severity="trivial", criteria=["security"]
    )
    disk.save()
    listed = cli("alerts", "list", "--as", "rita")
    assert listed.code == 0, listed.err
    assert "Disk full on fp1" in listed.out and "Watchdog" not in listed.out
    as_json = json.loads(cli("alerts", "list", "--status", "any", "--json", "--as", "rita").out)
    assert [g["id"] for g in as_json] == [disk.pk, watchdog.pk]
    shown = cli("alerts", "show", str(disk.pk), "--as", "rita")
    assert "fp1" in shown.out and "fp2" in shown.out and disk.incident.reference in shown.out
    assert cli("alerts", "ack", str(disk.pk), "--as", "rita").code == 0
    assert cli("alerts", "resolve", str(disk.pk), "--as", "rita").code == 0
    disk.refresh_from_db()
    assert disk.status == GroupStatus.RESOLVED
    entries = disk.incident.timeline.filter(kind=EntryKind.ALERT, source=CLI, author=responder)
    assert [e.data["event"] for e in entries] == ["group_acknowledged", "group_resolved"]


def test_the_cli_refuses_with_exit_2(cli, viewer, responder, groups):
    disk, _ = groups
    assert cli("alerts", "ack", str(disk.pk), "--as", "vic").code == 2
    assert cli("alerts", "show", "999", "--as", "rita").code == 2
    refused = cli(
        "alerts", "ack", str(AlertGroup.objects.get(group_key="watchdog").pk), "--as", "rita"
    )
    assert refused.code == 2 and "resolved" in refused.err


def _through(door: str, group_id: int, responder, api_client, cli) -> None:
    if door == "web":
        from django.test import Client

        client = Client()
        client.force_login(responder)
        assert client.post(f"/alerts/groups/{group_id}/acknowledge").status_code == 302
    elif door == "api":
        answer = api_client(responder).call("POST", f"/alert-groups/{group_id}/acknowledge")
        assert answer.status_code == 200, answer.json_body
    else:
        assert cli("alerts", "ack", str(group_id), "--as", responder.username).code == 0


@pytest.mark.parametrize("door", ["web", "api", "cli"])
def test_acknowledging_leaves_the_same_entry_through_web_api_and_cli(
    door, admin, responder, groups, api_client, cli
):
    disk, _ = groups
    disk.incident = incident_declare(
        actor=admin, source=CLI, title="Disk full", severity="trivial", criteria=["security"]
    )
    disk.save()
    _through(door, disk.pk, responder, api_client, cli)
    entry = disk.incident.timeline.get(kind=EntryKind.ALERT, data__event="group_acknowledged")
    assert entry.source == door and entry.author == responder
    assert entry.body == f"Alert group Disk full on fp1 acknowledged by {responder.display_name}"
    assert entry.data == {"alert_group": disk.pk, "event": "group_acknowledged"}

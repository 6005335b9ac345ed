"""Contract: each Statuspage v2 endpoint, served by the app, against the JSON schema written
from Statuspage's documentation, with data in every state."""

import json

import pytest

from incidentdesk.statuspage import public_site
from incidentdesk.statuspage.public_site import refresh_or_raise
from tests.statuspage.schemas.sample import SCHEMA_FOR, contract_errors


def fetch(client, path) -> dict:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"] == "application/json"
    return json.loads(response.content)


@pytest.mark.parametrize("path", sorted(SCHEMA_FOR))
def test_every_v2_endpoint_matches_its_documented_schema(client, page, path):
    assert contract_errors(path, fetch(client, path)) == []


@pytest.mark.parametrize("path", sorted(SCHEMA_FOR))
def test_every_v2_endpoint_matches_its_schema_on_an_empty_page(client, db, path):
    public_site.cache.reset()
    refresh_or_raise()
    assert contract_errors(path, fetch(client, path)) == []


def test_the_schemas_reject_a_document_missing_a_documented_key(client, page):
    summary = fetch(client, "/api/v2/summary.json")
    del summary["incidents"][0]["incident_updates"][0]["display_at"]
    assert contract_errors("/api/v2/summary.json", summary)


def test_components_come_by_position_with_groups_before_their_children(client, page):
    rows = fetch(client, "/api/v2/components.json")["components"]
    c = page["components"]
    assert [r["name"] for r in rows] == ["Platform", "API", "Website", "Email"]
    assert [r["position"] for r in rows] == [1, 2, 3, 4]
    group = rows[0]
    assert group["group"] is True and group["group_id"] is None
    assert group["components"] == [c["api"].public_id, c["web"].public_id]
    assert rows[1]["group_id"] == c["platform"].public_id and rows[1]["group"] is False
    assert "components" not in rows[3] and rows[3]["group_id"] is None


def test_incidents_and_their_updates_come_newest_first(client, page):
    incidents = fetch(client, "/api/v2/incidents.json")["incidents"]
    assert [i["name"] for i in incidents] == ["Email delays", "Elevated API errors"]
    updates = incidents[1]["incident_updates"]
    assert [u["status"] for u in updates] == ["monitoring", "identified"]
    assert updates[0]["display_at"] >= updates[1]["display_at"]


def test_unresolved_holds_only_open_incidents(client, page):
    unresolved = fetch(client, "/api/v2/incidents/unresolved.json")["incidents"]
    assert [i["id"] for i in unresolved] == [page["active"].public_id]
    assert unresolved[0]["resolved_at"] is None and unresolved[0]["monitoring_at"]


def test_maintenance_lists_split_by_state(client, page):
    ids = {state: m.public_id for state, m in page["maintenances"].items()}

    def listed(path):
        return [m["id"] for m in fetch(client, path)["scheduled_maintenances"]]

    assert listed("/api/v2/scheduled-maintenances/upcoming.json") == [ids["scheduled"]]
    assert listed("/api/v2/scheduled-maintenances/active.json") == [
        ids["in_progress"],
        ids["verifying"],
    ]
    assert sorted(listed("/api/v2/scheduled-maintenances.json")) == sorted(ids.values())
    summary = listed("/api/v2/summary.json")
    assert summary == [ids["scheduled"], ids["in_progress"], ids["verifying"]]


def test_summary_shows_the_worst_status_and_the_components(client, page):
    summary = fetch(client, "/api/v2/summary.json")
    assert summary["status"] == {"indicator": "major", "description": "Partial System Outage"}
    statuses = {c["name"]: c["status"] for c in summary["components"]}
    assert statuses["API"] == "partial_outage"
    assert statuses["Email"] == "operational"
    assert list(summary) == ["page", "components", "incidents", "scheduled_maintenances", "status"]


def test_timestamps_carry_an_offset_and_null_keys_are_present(client, page):
    incident = fetch(client, "/api/v2/incidents/unresolved.json")["incidents"][0]
    assert incident["created_at"].endswith("+00:00")
    assert "postmortem_body" in incident and incident["postmortem_body"] is None
    assert incident["incident_updates"][0]["affected_components"] is None
    assert incident["incident_updates"][1]["affected_components"][0]["new_status"] == (
        "partial_outage"
    )

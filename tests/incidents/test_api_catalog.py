"""Catalog endpoints: components and severity levels."""

import pytest

from incidentdesk.incidents.models import Component, Severity


def test_components_are_listed_created_and_changed(boss, manager, api_client):
    managers = api_client(manager)
    created = managers.call("POST", "/components", {"name": "Payments"})
    assert created.status_code == 201, created.content
    child = managers.call("POST", "/components", {"name": "Card API", "group": "payments"})
    assert child.json_body["group"] == "Payments"
    changed = managers.call(
        "PATCH", f"/components/{child.json_body['id']}", {"name": "Cards", "description": "Visa"}
    )
    assert changed.status_code == 200, changed.content
    assert (changed.json_body["name"], changed.json_body["group"]) == ("Cards", None)
    listed = boss.call("GET", "/components").json_body
    assert {c["name"] for c in listed} == {"Payments", "Cards"}


def test_a_duplicate_component_name_is_422(boss):
    boss.call("POST", "/components", {"name": "Search"})
    response = boss.call("POST", "/components", {"name": "SEARCH"})
    assert response.status_code == 422
    assert response.json_body["field"] == "name"
    assert Component.objects.count() == 1


def test_a_responder_may_not_create_components(rita):
    response = rita.call("POST", "/components", {"name": "Search"})
    assert response.status_code == 403
    assert "manager" in response.json_body["detail"]
    assert not Component.objects.exists()


def test_severities_are_listed_in_order_with_policy(rita):
    response = rita.call("GET", "/severities")
    assert response.status_code == 200
    levels = response.json_body
    assert [s["key"] for s in levels] == ["critical", "major", "trivial"]
    assert levels[0]["aliases"] == ["sev1", "p1"]
    assert levels[2]["postmortem_required"] is False


def test_an_admin_creates_and_changes_a_severity(boss):
    created = boss.call(
        "POST", "/severities", {"key": "cosmetic", "name": "Cosmetic", "aliases": "sev4"}
    )
    assert created.status_code == 201, created.content
    assert created.json_body["position"] == 4
    changed = boss.call("PATCH", "/severities/cosmetic", {"key": "ignored", "action_due_days": 90})
    assert changed.status_code == 200, changed.content
    assert Severity.objects.get(key="cosmetic").action_due_days == 90


def test_a_severity_position_clash_is_422(boss):
    response = boss.call("PATCH", "/severities/trivial", {"key": "trivial", "position": 1})
    assert response.status_code == 422
    assert response.json_body["field"] == "position"
    assert Severity.objects.get(key="trivial").position == 3


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"name": "Critical"}, "name"),
        ({"name": "MAJOR"}, "name"),
        ({"aliases": "x, critical"}, "aliases"),
    ],
)
def test_a_severity_cannot_take_a_name_another_level_answers_to(boss, changes, field):
    response = boss.call("PATCH", "/severities/trivial", changes)
    assert response.status_code == 422
    assert response.json_body["field"] == field
    assert Severity.objects.get(key="trivial").name == "Trivial"


def test_an_unknown_severity_key_is_404(boss):
    response = boss.call("PATCH", "/severities/nope", {"key": "nope", "name": "Nope"})
    assert response.status_code == 404
    assert response.json_body["field"] == "severity"

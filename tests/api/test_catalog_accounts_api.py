"""Catalog and account endpoints, authentication, CSRF and the OpenAPI document."""

import json

import pytest
from django.test import Client

from incidentdesk.accounts.models import ApiToken
from incidentdesk.incidents.models import Component, Incident, Severity
from tests.conftest import ApiClient

# -- components and severities -----------------------------------------------------------------


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


# -- accounts and tokens -----------------------------------------------------------------------


def test_me_says_who_is_calling(rita, responder):
    response = rita.call("GET", "/me")
    assert response.status_code == 200
    assert response.json_body == {
        "username": responder.username,
        "email": responder.email,
        "name": responder.username,
        "role": "responder",
    }


def test_a_token_is_shown_once_then_listed_without_it(rita):
    created = rita.call("POST", "/tokens", {"name": "ci", "scope": "write"})
    assert created.status_code == 201, created.content
    plain = created.json_body["token"]
    assert plain.startswith("idk_") and plain.startswith(created.json_body["prefix"])
    listed = rita.call("GET", "/tokens").json_body
    assert {t["name"] for t in listed} == {"ci", "test"}
    assert all("token" not in t for t in listed)
    assert not ApiToken.objects.filter(digest__contains=plain).exists()  # only a digest is kept


def test_a_new_token_works_and_records_when_it_was_used(rita):
    plain = rita.call("POST", "/tokens", {"name": "ci"}).json_body["token"]
    token = ApiToken.objects.get(name="ci")
    assert token.last_used_at is None
    response = ApiClient(HTTP_AUTHORIZATION=f"Bearer {plain}").call("GET", "/me")
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_revoked_token_gets_401(rita):
    created = rita.call("POST", "/tokens", {"name": "old"}).json_body
    other = ApiClient(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert other.call("GET", "/me").status_code == 200
    revoked = rita.call("DELETE", f"/tokens/{created['id']}")
    assert revoked.status_code == 200
    assert revoked.json_body["revoked_at"] is not None
    response = other.call("GET", "/me")
    assert response.status_code == 401
    assert "detail" in response.json_body


def test_revoking_someone_elses_token_is_403(rita, api_client, make_user):
    owner = make_user(username="owner")
    api_client(owner)
    theirs = ApiToken.objects.get(user=owner)
    response = rita.call("DELETE", f"/tokens/{theirs.pk}")
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_revoking_an_unknown_token_is_404(rita):
    assert rita.call("DELETE", "/tokens/999999").status_code == 404


def test_a_viewer_may_not_make_a_write_token(api_client, viewer):
    response = api_client(viewer, scope="read").call(
        "POST", "/tokens", {"name": "x", "scope": "write"}
    )
    assert response.status_code == 403  # a read-scoped token never writes


def test_a_read_scoped_token_reads_but_gets_403_on_writes(api_client, responder, incident):
    reader = api_client(responder, scope="read")
    assert reader.call("GET", "/incidents").status_code == 200
    before = Incident.objects.count()
    response = reader.call(
        "POST", "/incidents", {"title": "x", "severity": "major", "criteria": ["security"]}
    )
    assert response.status_code == 403
    assert "read-only" in response.json_body["detail"]
    response = reader.call("POST", f"/incidents/{incident.reference}/commands", {"text": "note hi"})
    assert response.status_code == 403
    assert Incident.objects.count() == before


# -- authentication, CSRF, OpenAPI -------------------------------------------------------------


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer idk_forged", "Basic abc"])
def test_no_valid_auth_is_401_json(db, header):
    client = ApiClient(**({"HTTP_AUTHORIZATION": header} if header else {}))
    response = client.call("GET", "/incidents")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert "Bearer" in response.json_body["detail"]


def test_a_deactivated_users_token_is_401(api_client, make_user):
    user = make_user(username="leaver")
    client = api_client(user)
    user.is_active = False
    user.save()
    assert client.call("GET", "/me").status_code == 401


def test_session_auth_reads_without_a_csrf_token(responder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    assert client.get("/api/v1/me").status_code == 200


def test_session_auth_write_without_csrf_token_is_refused(responder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    body = json.dumps({"title": "x", "severity": "major", "criteria": ["security"]})
    response = client.post("/api/v1/incidents", body, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]
    assert not Incident.objects.exists()


def test_session_auth_write_with_csrf_token_is_accepted(responder):
    client = Client(enforce_csrf_checks=True)
    client.force_login(responder)
    token = "k" * 32  # what a browser sends back: the cookie and the same value in the header
    client.cookies["csrftoken"] = token
    body = json.dumps({"title": "x", "severity": "major", "criteria": ["security"]})
    response = client.post(
        "/api/v1/incidents", body, content_type="application/json", HTTP_X_CSRFTOKEN=token
    )
    assert response.status_code == 201, response.content


def test_openapi_lists_every_path(db):
    response = Client().get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = set(response.json()["paths"])
    assert paths >= {
        "/api/v1/incidents",
        "/api/v1/incidents/{reference}",
        "/api/v1/incidents/{reference}/status",
        "/api/v1/incidents/{reference}/commands",
        "/api/v1/incidents/{reference}/timeline",
        "/api/v1/incidents/{reference}/timeline/{entry_id}",
        "/api/v1/incidents/{reference}/timeline/{entry_id}/revisions",
        "/api/v1/incidents/{reference}/roles",
        "/api/v1/incidents/{reference}/roles/{role}",
        "/api/v1/incidents/{reference}/actions",
        "/api/v1/actions/{action_id}",
        "/api/v1/components",
        "/api/v1/components/{component_id}",
        "/api/v1/severities",
        "/api/v1/severities/{key}",
        "/api/v1/me",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
    }

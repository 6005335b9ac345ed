"""Authentication, CSRF and the OpenAPI document of the API."""

import json

import pytest
from django.test import Client

from incidentdesk.incidents.models import Incident
from tests.conftest import ApiClient


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

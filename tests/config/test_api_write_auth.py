"""Who may write through the API, on every write operation the OpenAPI description lists: no
credentials or a dead token is a JSON 401 (Django's CSRF check used to answer first, with a
403), a read-scoped token is a 403 whatever the body, and a signed-in browser still needs its
CSRF token."""

import pytest
from django.test import Client

from tests.openapi import PATH_VALUES, write_operations

# A value for each path placeholder. Authentication is decided before the path is looked up,
# so these need only have the right shape; a new placeholder makes the tests say so.
CSRF_SECRET = "k" * 32


def send(client: Client, op, body: str = "{}", **headers):
    path = f"/api/v1{op.url(PATH_VALUES)}"
    response = getattr(client, op.method)(path, body, content_type="application/json", **headers)
    try:
        response.json_body = response.json()
    except ValueError:
        response.json_body = None
    return response


def test_the_description_lists_writes_of_every_method():
    assert {op.method for op in write_operations()} == {"post", "put", "patch", "delete"}


@pytest.mark.django_db
def test_a_write_without_credentials_is_a_json_401_not_a_csrf_403():
    client = Client(enforce_csrf_checks=True)
    for op in write_operations():
        response = send(client, op)
        assert response.status_code == 401, (str(op), response.content[:200])
        assert response["Content-Type"].startswith("application/json"), str(op)
        assert "Bearer" in response.json_body["detail"], str(op)
        assert response["WWW-Authenticate"].startswith("Bearer"), str(op)


@pytest.mark.django_db
@pytest.mark.parametrize("header", ["Bearer idk_not_a_real_token", "Bearer ", "Bearer nope"])
def test_a_write_with_a_bad_token_is_a_json_401(header):
    client = Client(enforce_csrf_checks=True)
    for op in write_operations():
        response = send(client, op, HTTP_AUTHORIZATION=header)
        assert response.status_code == 401, (str(op), response.content[:200])
        assert response.json_body["detail"], str(op)


def test_a_revoked_token_is_a_401_on_reads_and_writes(api_client, responder):
    from incidentdesk.accounts.models import ApiToken

    client = api_client(responder)
    ApiToken.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert client.call("GET", "/incidents").status_code == 401
    assert client.call("POST", "/incidents", {}).status_code == 401


@pytest.mark.parametrize("body", ["{}", '{"title": "x"}', "not json", ""])
def test_a_read_token_is_a_403_on_every_write_whatever_the_body(api_client, admin, body):
    client = api_client(admin, scope="read")
    for op in write_operations():
        response = send(client, op, body)
        assert response.status_code == 403, (str(op), response.content[:200])
        assert "read-only" in response.json_body["detail"], str(op)


def test_a_read_token_still_reads(api_client, admin, incident):
    client = api_client(admin, scope="read")
    assert client.call("GET", f"/incidents/{incident.reference}").status_code == 200


def test_an_empty_patch_with_a_read_token_changes_nothing(api_client, responder, incident):
    entry = incident.timeline.first()
    client = api_client(responder, scope="read")
    path = f"/incidents/{incident.reference}/timeline/{entry.pk}"
    assert client.call("PATCH", path, {}).status_code == 403
    assert client.call("PATCH", f"/incidents/{incident.reference}", {}).status_code == 403


def test_a_signed_in_browser_write_without_the_csrf_token_is_refused(responder):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(responder)
    for op in write_operations():
        response = send(browser, op)
        assert response.status_code == 403, (str(op), response.content[:200])
        assert "CSRF" in response.json_body["detail"], str(op)


def test_a_signed_in_browser_write_with_the_csrf_token_goes_through(responder, incident):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(responder)
    browser.cookies["csrftoken"] = CSRF_SECRET
    response = browser.post(
        f"/api/v1/incidents/{incident.reference}/timeline",
        {"body": "Rolled back"},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=CSRF_SECRET,
    )
    assert response.status_code == 201, response.content
    assert browser.get(f"/api/v1/incidents/{incident.reference}").status_code == 200

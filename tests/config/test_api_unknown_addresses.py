"""Every answer under /api/v1/ is JSON, even for an address that names no endpoint or a method
an endpoint does not take (Django and ninja answered those in HTML or plain text)."""

import pytest


@pytest.mark.parametrize("path", ["/nonexistent", "/incidents/INC-2026-0001/nothing-here"])
def test_an_address_that_names_no_endpoint_is_a_json_404(api_client, viewer, path):
    response = api_client(viewer, scope="read").call("GET", path)
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "no API endpoint" in response.json_body["detail"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/actions/1", "PATCH"),
        ("PUT", "/incidents", "POST"),
        ("GET", "/components/1", "PATCH"),
    ],
)
def test_a_method_an_endpoint_does_not_take_is_a_json_405_naming_the_ones_it_does(
    api_client, responder, method, path, allowed
):
    response = api_client(responder).call(method, path)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/json")
    assert allowed in response["Allow"]
    assert method in response.json_body["detail"] and allowed in response.json_body["detail"]


def test_an_endpoints_own_not_found_keeps_its_detail(api_client, viewer):
    response = api_client(viewer, scope="read").call("GET", "/incidents/INC-1999-0001")
    assert response.status_code == 404
    assert "no incident" in response.json_body["detail"]

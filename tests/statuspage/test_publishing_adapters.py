"""Publishing through the API and the CLI: same services, clear errors, nothing half-written."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from incidentdesk.statuspage.models import PageSettings, PublicIncident
from tests.factories import ComponentFactory


@pytest.fixture
def incident(declare, responder):
    ComponentFactory(name="API")
    return declare(title="internal only title")


def test_publishing_through_the_api_returns_the_public_view(api_client, responder, incident):
    client = api_client(responder)
    response = client.call(
        "POST",
        f"/incidents/{incident.reference}/publication",
        {"name": "API errors", "message": "Looking into it", "components": {"API": "major_outage"}},
    )
    assert response.status_code == 201, response.json_body
    body = response.json_body
    assert body["name"] == "API errors" and body["status"] == "identified"
    assert body["impact"] == "critical" and body["components"] == {"API": "major_outage"}
    assert body["public_url"] == f"/incidents/{body['id']}"

    response = client.call(
        "POST",
        f"/incidents/{incident.reference}/publication/updates",
        {"message": "Fixing", "status": "monitoring"},
    )
    assert response.status_code == 201 and response.json_body["status"] == "monitoring"
    response = client.call(
        "POST", f"/incidents/{incident.reference}/publication/resolve", {"message": "Fixed"}
    )
    assert response.json_body["status"] == "resolved"
    assert [u["status"] for u in response.json_body["updates"]] == [
        "resolved",
        "monitoring",
        "identified",
    ]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"message": "x"}, "name"),
        ({"name": "x", "message": "y", "components": {"Nope": "major_outage"}}, "components"),
        ({"name": "x", "message": "y", "status": "closed"}, "status"),
        ({"name": "x", "message": "y", "surprise": 1}, "surprise"),
        ({"name": "x" * 201, "message": "y"}, "name"),
    ],
)
def test_bad_publication_requests_name_the_field(api_client, responder, incident, body, field):
    response = api_client(responder).call(
        "POST", f"/incidents/{incident.reference}/publication", body
    )
    assert 400 <= response.status_code < 500
    assert response.json_body["field"] == field and field in response.json_body["detail"]
    assert not PublicIncident.objects.exists()


def test_updating_an_unpublished_incident_is_a_404(api_client, responder, incident):
    response = api_client(responder).call(
        "POST", f"/incidents/{incident.reference}/publication/updates", {"message": "x"}
    )
    assert response.status_code == 404 and "not published" in response.json_body["detail"]


def test_a_read_token_cannot_publish(api_client, responder, incident):
    response = api_client(responder, scope="read").call(
        "POST", f"/incidents/{incident.reference}/publication", {"name": "x", "message": "y"}
    )
    assert response.status_code == 403


def test_maintenance_and_banner_through_the_api(api_client, manager, db):
    ComponentFactory(name="Database")
    client = api_client(manager)
    response = client.call(
        "POST",
        "/maintenances",
        {
            "name": "Database upgrade",
            "message": "Planned",
            "scheduled_for": "2030-01-01T10:00:00Z",
            "scheduled_until": "2030-01-01T11:00:00Z",
            "components": ["Database"],
        },
    )
    assert response.status_code == 201, response.json_body
    public_id = response.json_body["id"]
    response = client.call(
        "POST",
        f"/maintenances/{public_id}/updates",
        {"status": "in_progress", "message": "Started"},
    )
    assert response.json_body["components"] == {"Database": "under_maintenance"}
    response = client.call(
        "POST", f"/maintenances/{public_id}/updates", {"status": "scheduled", "message": "x"}
    )
    assert response.status_code == 409

    response = client.call(
        "PUT", "/statuspage/banner", {"active": True, "message": "Read-only", "kind": "read_only"}
    )
    assert response.status_code == 200 and PageSettings.load().banner_kind == "read_only"


def test_the_cli_publishes_updates_and_resolves(incident, responder):
    out = StringIO()
    call_command(
        "statuspage",
        "publish",
        incident.reference,
        "--name",
        "API errors",
        "--message",
        "On it",
        "--component",
        "API=partial_outage",
        as_user=responder.username,
        stdout=out,
    )
    publication = PublicIncident.objects.get()
    assert f"/incidents/{publication.public_id}" in out.getvalue()
    call_command(
        "statuspage",
        "update",
        incident.reference,
        "--message",
        "Fix deployed",
        "--status",
        "monitoring",
        as_user=responder.username,
        stdout=StringIO(),
    )
    call_command(
        "statuspage",
        "resolve",
        incident.reference,
        "--message",
        "Done",
        as_user=responder.username,
        stdout=StringIO(),
    )
    publication.refresh_from_db()
    assert publication.status == "resolved" and publication.updates.count() == 3


def test_the_cli_refuses_a_malformed_component_option(incident, responder):
    with pytest.raises((CommandError, SystemExit)):
        call_command(
            "statuspage",
            "publish",
            incident.reference,
            "--name",
            "x",
            "--message",
            "y",
            "--component",
            "API",
            as_user=responder.username,
            stdout=StringIO(),
            stderr=StringIO(),
        )
    assert not PublicIncident.objects.exists()

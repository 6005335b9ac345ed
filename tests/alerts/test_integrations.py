"""Integrations: the key is shown once and stored hashed, a wrong or revoked key finds nothing,
and admins make, list and revoke them from the API and the CLI."""

import hmac
import json

import pytest
from django.db import connection

from incidentdesk.accounts.services import token_digest
from incidentdesk.alerts.models import Integration
from incidentdesk.alerts.services import (
    intake_url,
    integration_create,
    integration_for_key,
    integration_revoke,
)
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource

CLI = ActionSource.CLI
pytestmark = pytest.mark.django_db


def _every_stored_text() -> str:
    """Every value of the integrations table, as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {Integration._meta.db_table}")
        return json.dumps(cursor.fetchall(), default=str)


def test_the_key_is_shown_once_and_the_database_never_holds_it(admin):
    integration, key = integration_create(actor=admin, source=CLI, kind="alertmanager", name="prod")
    assert len(key) == 32
    stored = _every_stored_text()
    assert key not in stored and key[8:] not in stored
    assert integration.digest == token_digest(key) and integration.key_id == key[:8]
    assert integration_for_key(key) == integration


def test_a_wrong_a_malformed_or_a_revoked_key_finds_nothing(admin):
    integration, key = integration_create(actor=admin, source=CLI, kind="generic", name="ci")
    wrong_secret = key[:8] + ("0" if key[8] != "0" else "1") + key[9:]
    for bad in (wrong_secret, key[:8], key + "x", "", "é" * 32, None):
        assert integration_for_key(bad) is None, bad
    integration_revoke(actor=admin, source=CLI, integration_id=integration.pk)
    assert integration_for_key(key) is None


def test_the_intake_url_carries_the_key_but_pagerduty_has_one_endpoint_and_email_none(
    admin, settings
):
    settings.BASE_URL = "https://desk.example.com/"
    am, am_key = integration_create(actor=admin, source=CLI, kind="alertmanager", name="a")
    pd, pd_key = integration_create(actor=admin, source=CLI, kind="pagerduty", name="p")
    assert intake_url(am, am_key) == f"https://desk.example.com/alerts/in/{am_key}"
    assert intake_url(pd, pd_key) == "https://desk.example.com/v2/enqueue"
    mail, mail_key = integration_create(actor=admin, source=CLI, kind="email", name="m")
    assert intake_url(mail, mail_key) == ""  # mail comes in by the gateway command


def test_a_signed_grafana_integration_has_a_secret_it_can_verify_with(admin):
    grafana, _ = integration_create(actor=admin, source=CLI, kind="grafana", name="g", signed=True)
    secret = grafana.signing_secret()
    assert len(secret) >= 32 and secret not in _every_stored_text()
    again = Integration.objects.get(pk=grafana.pk)  # recomputed, the same, from a fresh read
    assert hmac.compare_digest(again.signing_secret(), secret)
    plain, _ = integration_create(actor=admin, source=CLI, kind="grafana", name="h")
    assert plain.signing_secret() == ""
    with pytest.raises(ValidationError) as refused:
        integration_create(actor=admin, source=CLI, kind="generic", name="x", signed=True)
    assert refused.value.field == "signed"


def test_bad_kind_or_name_is_refused_naming_the_field(admin):
    for kind, name, field in (
        ("nagios", "n", "kind"),
        ("generic", "  ", "name"),
        ("generic", "x" * 101, "name"),
        ("generic", "a\x00b", "name"),
    ):
        with pytest.raises(ValidationError) as refused:
            integration_create(actor=admin, source=CLI, kind=kind, name=name)
        assert refused.value.field == field
    assert not Integration.objects.exists()


# API ------------------------------------------------------------------------------------------


def test_the_api_creates_lists_and_revokes_an_integration(boss, settings):
    settings.BASE_URL = "https://desk.example.com"
    created = boss.call("POST", "/integrations", {"kind": "alertmanager", "name": "prod"})
    assert created.status_code == 201, created.json_body
    body = created.json_body
    assert body["url"] == f"https://desk.example.com/alerts/in/{body['secret']}"
    assert integration_for_key(body["secret"]).pk == body["id"]
    listed = boss.call("GET", "/integrations")
    assert listed.status_code == 200
    assert [i["name"] for i in listed.json_body] == ["prod"]
    assert body["secret"] not in json.dumps(listed.json_body)
    assert "secret" not in listed.json_body[0] and "url" not in listed.json_body[0]
    revoked = boss.call("POST", f"/integrations/{body['id']}/revoke")
    assert revoked.status_code == 200 and revoked.json_body["revoked_at"]
    assert integration_for_key(body["secret"]) is None
    assert boss.call("POST", "/integrations/999/revoke").status_code == 404


def test_the_api_names_the_field_of_bad_input(boss):
    unknown = boss.call("POST", "/integrations", {"kind": "nagios", "name": "n"})
    assert unknown.status_code == 422 and unknown.json_body["field"] == "kind"
    missing = boss.call("POST", "/integrations", {"kind": "generic"})
    assert missing.status_code == 422 and missing.json_body["field"] == "name"
    extra = boss.call("POST", "/integrations", {"kind": "generic", "name": "n", "colour": "red"})
    assert extra.status_code == 422 and extra.json_body["field"] == "colour"
    assert boss.call("POST", "/integrations", raw="{").status_code == 400
    assert not Integration.objects.exists()


def test_only_admins_create_list_or_revoke_integrations_over_the_api(rita, boss):
    assert rita.call("POST", "/integrations", {"kind": "generic", "name": "n"}).status_code == 403
    assert rita.call("GET", "/integrations").status_code == 403
    made = boss.call("POST", "/integrations", {"kind": "generic", "name": "n"}).json_body
    assert rita.call("POST", f"/integrations/{made['id']}/revoke").status_code == 403
    assert Integration.objects.get().revoked_at is None


# CLI ------------------------------------------------------------------------------------------


def test_the_cli_creates_lists_and_revokes_an_integration(cli, admin, settings):
    settings.BASE_URL = "https://desk.example.com"
    run = cli(
        "integration", "create", "--kind", "grafana", "--name", "graf", "--signed", "--as", "admin"
    )
    assert run.code == 0, run.err
    lines = dict(line.split(": ", 1) for line in run.out.strip().splitlines())
    key = lines["key"]
    assert lines["url"] == f"https://desk.example.com/alerts/in/{key}"
    integration = integration_for_key(key)
    assert lines["signing secret"] == integration.signing_secret()
    listing = cli("integration", "list", "--as", "admin")
    assert listing.code == 0 and "graf" in listing.out and integration.key_id in listing.out
    assert key not in listing.out
    as_json = json.loads(cli("integration", "list", "--json", "--as", "admin").out)
    assert as_json[0]["kind"] == "grafana"
    revoked = cli("integration", "revoke", str(integration.pk), "--as", "admin")
    assert revoked.code == 0, revoked.err
    assert integration_for_key(key) is None
    assert "revoked" in cli("integration", "list", "--as", "admin").out


def test_the_cli_refuses_bad_input_and_non_admins_with_exit_2(cli, admin, responder):
    bad_kind = cli("integration", "create", "--kind", "nagios", "--name", "n", "--as", "admin")
    assert bad_kind.code == 2 and "--kind" in bad_kind.err
    empty = cli("integration", "create", "--kind", "generic", "--name", " ", "--as", "admin")
    assert empty.code == 2 and empty.err.startswith("error: name:")
    signed = cli(
        "integration", "create", "--kind", "generic", "--name", "n", "--signed", "--as", "admin"
    )
    assert signed.code == 2 and signed.err.startswith("error: signed:")
    refused = cli("integration", "create", "--kind", "generic", "--name", "n", "--as", "rita")
    assert refused.code == 2 and "may not do this" in refused.err
    assert cli("integration", "revoke", "999", "--as", "admin").code == 2
    assert not Integration.objects.exists()


def test_revoking_needs_an_admin(admin, responder):
    integration, _ = integration_create(actor=admin, source=CLI, kind="generic", name="n")
    with pytest.raises(PermissionDenied):
        integration_revoke(actor=responder, source=CLI, integration_id=integration.pk)

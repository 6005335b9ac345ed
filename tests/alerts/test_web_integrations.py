"""The integrations page (/alerts/integrations, admins): the list with when each last
received something and its open groups; creating one shows its URL and key once, with what
to paste into the sender; revoking refuses its key from then on."""

import re

import pytest
from django.test import Client
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.alerts.models import Integration
from incidentdesk.alerts.services import (
    alerts_receive,
    integration_create,
    integration_for_key,
    integration_revoke,
)
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.core.sources import ActionSource

pytestmark = pytest.mark.django_db
PAGE = "/alerts/integrations"
CLI = ActionSource.CLI


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def create(client, **fields):
    return client.post(PAGE + "/new", {"kind": "alertmanager", "name": "prod", **fields})


def shown_key(html: str) -> str:
    found = re.search(r'id="intake-key"[^>]*value="([0-9a-f]{32})"', html)
    assert found is not None, "no key on the page"
    return found.group(1)


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER, Role.MANAGER])
def test_only_admins_see_or_create_integrations(role, make_user):
    client = client_for(make_user(role, username="someone"))
    assert client.get(PAGE).status_code == 403
    assert create(client).status_code == 403
    assert not Integration.objects.exists()


def test_the_list_says_when_each_last_received_and_how_many_groups_are_open(admin):
    busy, _ = integration_create(actor=admin, source=CLI, kind="alertmanager", name="busy")
    integration_create(actor=admin, source=CLI, kind="generic", name="quiet")
    gone, _ = integration_create(actor=admin, source=CLI, kind="grafana", name="gone")
    integration_revoke(actor=admin, source=CLI, integration_id=gone.pk)
    at = timezone.now().replace(second=0, microsecond=0)
    firing = [AlertInput(key=k, group_key=k, status="firing", summary=k) for k in ("a", "b")]
    alerts_receive(integration=busy, alerts=firing, received_at=at)
    alerts_receive(
        integration=busy,
        alerts=[AlertInput(key="a", group_key="a", status="resolved", summary="a")],
        received_at=at,
    )
    page = client_for(admin).get(PAGE).content.decode()
    rows = {
        name: row for row in page.split("<tr") for name in ("busy", "quiet", "gone") if name in row
    }
    assert at.strftime("%Y-%m-%d %H:%M") in rows["busy"]
    assert f'integration={busy.pk}">1</a>' in rows["busy"]  # one of its two groups is open
    assert "never" in rows["quiet"] and "Active" in rows["quiet"]
    assert "Revoked" in rows["gone"] and "Revoke…" not in rows["gone"]


def test_creating_shows_the_url_and_key_once_with_the_alertmanager_receiver(admin, settings):
    settings.BASE_URL = "https://desk.example.com"
    client = client_for(admin)
    response = create(client)
    assert response.status_code == 201
    assert response["Cache-Control"] == "no-store"
    html = response.content.decode()
    key = shown_key(html)
    assert integration_for_key(key) == Integration.objects.get(name="prod")
    assert f"https://desk.example.com/alerts/in/{key}" in html
    assert "webhook_configs:" in html and f"url: https://desk.example.com/alerts/in/{key}" in html
    assert "send_resolved: true" in html
    assert key not in client.get(PAGE).content.decode()  # never again


def test_a_signed_grafana_integration_shows_its_signing_secret_and_header(admin):
    response = create(client_for(admin), kind="grafana", name="graf", signed="on")
    html = response.content.decode()
    integration = Integration.objects.get(name="graf")
    assert integration.signed
    assert integration.signing_secret() in html
    assert "X-Grafana-Alerting-Signature" in html and "Timestamp Header" in html


def test_a_pagerduty_integration_shows_the_enqueue_url_and_its_routing_key(admin, settings):
    settings.BASE_URL = "https://desk.example.com"
    html = create(client_for(admin), kind="pagerduty", name="pd").content.decode()
    key = shown_key(html)
    assert "https://desk.example.com/v2/enqueue" in html
    assert f"routing_key: {key}" in html and "pagerduty_configs:" in html
    assert "&quot;event_action&quot;: &quot;trigger&quot;" in html


def test_a_generic_integration_shows_a_curl_example(admin, settings):
    settings.BASE_URL = "https://desk.example.com"
    html = create(client_for(admin), kind="generic", name="cron").content.decode()
    key = shown_key(html)
    assert f"curl -X POST https://desk.example.com/alerts/in/{key}" in html
    assert "&quot;key&quot;: &quot;db-primary-disk&quot;" in html


def test_a_refused_integration_shows_the_form_again_naming_the_field(admin):
    response = create(client_for(admin), kind="grafana", name="  ")
    assert response.status_code == 422
    assert 'id="id_name_error"' in response.content.decode()
    response = create(client_for(admin), kind="generic", name="x", signed="on")
    assert response.status_code == 422
    assert "Only a grafana integration can be signed" in response.content.decode()
    assert not Integration.objects.exists()


def test_revoking_from_the_page_refuses_the_key_from_then_on(admin):
    client = client_for(admin)
    key = shown_key(create(client).content.decode())
    integration = Integration.objects.get()
    asked = client.get(f"{PAGE}/{integration.pk}/revoke").content.decode()
    assert "Revoke the integration prod" in asked and integration_for_key(key) == integration
    response = client.post(f"{PAGE}/{integration.pk}/revoke")
    assert response.status_code == 302
    assert integration_for_key(key) is None
    page = client.get(PAGE).content.decode()
    assert "is revoked" in page and "Revoked" in page


def test_a_responder_cannot_revoke(admin, responder):
    made, key = integration_create(actor=admin, source=CLI, kind="generic", name="x")
    assert client_for(responder).post(f"{PAGE}/{made.pk}/revoke").status_code == 403
    assert client_for(responder).get(f"{PAGE}/{made.pk}/revoke").status_code == 403
    assert integration_for_key(key) == made

"""The intake doors over HTTP: `/alerts/in/<key>` for Alertmanager, Grafana and the generic
shape, `/v2/enqueue` for PagerDuty-speaking tools. Bodies are the sources' documented ones."""

import json
import time

import pytest
from django.test import Client

from incidentdesk.alerts.models import Alert, AlertGroup, GroupStatus
from incidentdesk.alerts.services import integration_create, integration_revoke
from incidentdesk.alerts.sources.base import MAX_BODY_BYTES
from incidentdesk.core.middleware import FirstRunMiddleware
from incidentdesk.core.sources import ActionSource
from tests.alerts import test_sources_alertmanager as am
from tests.alerts import test_sources_grafana as gf
from tests.alerts import test_sources_pagerduty as pd

CLI = ActionSource.CLI
ENQUEUE = "/v2/enqueue"
pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A client that checks CSRF as a browser's would: monitoring sends no token."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def make(admin):
    def make(kind: str, **options):
        integration, key = integration_create(
            actor=admin, source=CLI, kind=kind, name=f"{kind} door", **options
        )
        return integration, key

    return make


def post(client, path: str, body, **headers):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(path, data=data, content_type="application/json", headers=headers)


def event(template: dict, key: str, **changes) -> dict:
    copy = {**json.loads(json.dumps(template)), "routing_key": key}
    for name, value in changes.items():
        if value is None:
            copy.pop(name, None)
        else:
            copy[name] = value
    return copy


def test_an_alertmanager_post_makes_one_group_and_its_resend_counts_up(client, make):
    _, key = make("alertmanager")

    first = post(client, f"/alerts/in/{key}", am.PAYLOAD)
    again = post(client, f"/alerts/in/{key}", am.PAYLOAD)

    assert first.status_code == 200
    assert first.json()["groups"]["opened"] == 1
    assert first.json()["alerts"] == 2
    assert again.status_code == 200
    assert again.json()["groups"] == {"opened": 0, "reopened": 0, "updated": 1, "resolved": 0}
    group = AlertGroup.objects.get()
    assert group.group_key == am.GROUP_KEY
    assert sorted(Alert.objects.values_list("key", "count")) == [
        ("5b2ee6a5bbf40e29", 2),
        ("a1f0c2d9e8b7c6d5", 2),
    ]


@pytest.mark.parametrize(
    "key",
    [
        "0" * 32,  # well formed, nobody's
        "not a key",
        "x" * 300,
        "%00" + "0" * 29,
    ],
)
def test_a_wrong_or_malformed_key_is_404_with_a_reason_and_nothing_is_stored(client, make, key):
    make("alertmanager")

    answer = post(client, f"/alerts/in/{key}", am.PAYLOAD)

    assert answer.status_code == 404
    assert answer.json()["error"]["field"] == "key"
    assert not AlertGroup.objects.exists()


def test_a_revoked_integrations_key_is_404_and_nothing_is_stored(client, make, admin):
    integration, key = make("alertmanager")
    integration_revoke(actor=admin, source=CLI, integration_id=integration.pk)

    answer = post(client, f"/alerts/in/{key}", am.PAYLOAD)

    assert answer.status_code == 404
    assert not AlertGroup.objects.exists()


@pytest.mark.parametrize("kind", ["pagerduty", "email"])
def test_a_pagerduty_or_email_key_does_not_open_the_webhook_door(client, make, kind):
    _, key = make(kind)

    answer = post(client, f"/alerts/in/{key}", am.PAYLOAD)

    assert answer.status_code == 404
    assert not AlertGroup.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (am.changed(version="3"), "version"),
        (am.changed(0, fingerprint=7), "alerts[0].fingerprint"),
        (am.changed(alerts=[]), "alerts"),
        (b"{not json", ""),
        (b"\xff\xfe", ""),
    ],
)
def test_a_malformed_body_is_400_naming_the_field_and_nothing_is_stored(client, make, body, field):
    _, key = make("alertmanager")

    answer = post(client, f"/alerts/in/{key}", body)

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["field"] == field
    assert error["message"]
    assert not AlertGroup.objects.exists()
    assert not Alert.objects.exists()


def test_one_bad_alert_among_good_ones_stores_none_of_them(client, make):
    _, key = make("alertmanager")
    body = am.changed(1, startsAt="yesterday")

    answer = post(client, f"/alerts/in/{key}", body)

    assert answer.status_code == 400
    assert answer.json()["error"]["field"] == "alerts[1].startsAt"
    assert not Alert.objects.exists()


def test_a_signed_grafana_integration_takes_a_rightly_signed_body(client, make):
    integration, key = make("grafana", signed=True)
    signature = gf.sign(gf.BODY, secret=integration.signing_secret())

    answer = post(
        client, f"/alerts/in/{key}", gf.BODY, **{"X-Grafana-Alerting-Signature": signature}
    )

    assert answer.status_code == 200
    assert answer.json()["groups"]["opened"] == 1
    assert Alert.objects.count() == 2


def test_a_signed_grafana_request_with_a_timestamp_is_taken_while_fresh_only(client, make):
    integration, key = make("grafana", signed=True)
    secret = integration.signing_secret()
    fresh, stale = str(int(time.time())), str(int(time.time()) - 3600)

    def signed(stamp):
        return {
            "X-Grafana-Alerting-Signature": gf.sign(gf.BODY, stamp, secret),
            "X-Grafana-Alerting-Signature-Timestamp": stamp,
        }

    assert post(client, f"/alerts/in/{key}", gf.BODY, **signed(stale)).status_code == 401
    assert not AlertGroup.objects.exists()
    assert post(client, f"/alerts/in/{key}", gf.BODY, **signed(fresh)).status_code == 200


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Grafana-Alerting-Signature": gf.sign(gf.BODY)},  # another secret
        {"X-Grafana-Alerting-Signature": "f" * 64},
    ],
)
def test_a_signed_grafana_integration_refuses_a_missing_or_wrong_signature(client, make, headers):
    _, key = make("grafana", signed=True)

    answer = post(client, f"/alerts/in/{key}", gf.BODY, **headers)

    assert answer.status_code == 401
    assert answer.json()["error"]["field"] == "signature"
    assert not AlertGroup.objects.exists()


def test_an_unsigned_grafana_integration_needs_no_signature(client, make):
    _, key = make("grafana")

    answer = post(client, f"/alerts/in/{key}", gf.BODY)

    assert answer.status_code == 200


def test_the_generic_shape_comes_in_at_its_key(client, make):
    _, key = make("generic")

    answer = post(client, f"/alerts/in/{key}", {"key": "backup", "summary": "No backup ran"})

    assert answer.status_code == 200
    assert AlertGroup.objects.get().summary == "No backup ran"


def test_a_pagerduty_trigger_is_202_with_its_dedup_key_then_acknowledge_and_resolve(client, make):
    _, key = make("pagerduty")

    trigger = post(client, ENQUEUE, event(pd.TRIGGER, key))
    group = AlertGroup.objects.get()
    assert trigger.status_code == 202
    assert trigger.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "srv01/mysql",
    }
    assert group.status == GroupStatus.FIRING

    acknowledge = post(client, ENQUEUE, event(pd.ACKNOWLEDGE, key))
    group.refresh_from_db()
    assert acknowledge.status_code == 202
    assert group.status == GroupStatus.ACKNOWLEDGED

    resolve = post(client, ENQUEUE, event(pd.RESOLVE, key))
    group.refresh_from_db()
    assert resolve.status_code == 202
    assert resolve.json()["dedup_key"] == "srv01/mysql"
    assert group.status == GroupStatus.RESOLVED


def test_a_pagerduty_trigger_without_a_dedup_key_is_answered_with_a_new_one(client, make):
    _, key = make("pagerduty")

    answer = post(client, ENQUEUE, event(pd.TRIGGER, key, dedup_key=None))

    assert answer.status_code == 202
    dedup_key = answer.json()["dedup_key"]
    assert dedup_key
    assert AlertGroup.objects.get().group_key == dedup_key
    # The key given back resolves what it opened.
    resolve = post(client, ENQUEUE, event(pd.RESOLVE, key, dedup_key=dedup_key))
    assert resolve.status_code == 202
    assert AlertGroup.objects.get().status == GroupStatus.RESOLVED


@pytest.mark.parametrize("routing_key", [pd.ROUTING_KEY, "short"])
def test_an_unknown_routing_key_is_404_in_pagerdutys_shape(client, make, routing_key):
    make("pagerduty")

    answer = post(client, ENQUEUE, event(pd.TRIGGER, routing_key))

    assert answer.status_code == 404
    assert answer.json()["status"] == "invalid event"
    assert answer.json()["errors"][0].startswith("routing_key: ")
    assert not AlertGroup.objects.exists()


def test_a_revoked_or_non_pagerduty_routing_key_is_404(client, make, admin):
    revoked, revoked_key = make("pagerduty")
    integration_revoke(actor=admin, source=CLI, integration_id=revoked.pk)
    _, alertmanager_key = make("alertmanager")

    for key in (revoked_key, alertmanager_key):
        assert post(client, ENQUEUE, event(pd.TRIGGER, key)).status_code == 404
    assert not AlertGroup.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"routing_key": None}, "routing_key"),
        ({"event_action": "snooze"}, "event_action"),
        ({"payload": None}, "payload"),
    ],
)
def test_a_malformed_pagerduty_event_is_400_in_pagerdutys_shape(client, make, changes, field):
    _, key = make("pagerduty")
    body = event(pd.TRIGGER, key)
    for name, value in changes.items():
        body.pop(name) if value is None else body.__setitem__(name, value)

    answer = post(client, ENQUEUE, body)

    assert answer.status_code == 400
    assert answer.json()["status"] == "invalid event"
    assert answer.json()["errors"][0].startswith(f"{field}: ")
    assert not AlertGroup.objects.exists()


@pytest.mark.parametrize("door", ["alerts", "pagerduty"])
def test_a_body_over_a_mebibyte_is_413_and_nothing_is_stored(client, make, door):
    kind = "pagerduty" if door == "pagerduty" else "alertmanager"
    _, key = make(kind)
    path = ENQUEUE if door == "pagerduty" else f"/alerts/in/{key}"
    body = json.dumps({**am.PAYLOAD, "padding": "x" * MAX_BODY_BYTES}).encode()

    answer = post(client, path, body)

    assert answer.status_code == 413
    assert not AlertGroup.objects.exists()


def test_get_is_405_at_both_doors(client, make):
    _, key = make("alertmanager")

    assert client.get(f"/alerts/in/{key}").status_code == 405
    assert client.get(ENQUEUE).status_code == 405


def test_the_doors_answer_before_the_first_account_exists(client):
    FirstRunMiddleware.has_users = False

    webhook = post(client, f"/alerts/in/{'0' * 32}", am.PAYLOAD)
    enqueue = post(client, ENQUEUE, event(pd.TRIGGER, "0" * 32))

    assert (webhook.status_code, enqueue.status_code) == (404, 404)

"""Grafana Alerting's webhook read into neutral alerts, and its optional HMAC-SHA256 signature
checked the way Grafana makes it: hex HMAC of the body, or of `timestamp:body` when a
timestamp header is configured."""

import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidentdesk.alerts.sources import grafana
from incidentdesk.alerts.sources.base import SourceError
from tests.alerts.garbage import garbage_tests

# The "JSON payload" example of Grafana's webhook notifier documentation, as it gives it.
PAYLOAD = {
    "receiver": "My Super Webhook",
    "status": "firing",
    "orgId": 1,
    "alerts": [
        {
            "status": "firing",
            "labels": {"alertname": "High memory usage", "team": "blue", "zone": "us-1"},
            "annotations": {
                "description": "The system has high memory usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone us-1",
            },
            "startsAt": "2021-10-12T09:51:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/1afz29v7z/edit",
            "fingerprint": "c6eadffa33fcdf37",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT2%2Cteam%3Dblue%2Czone%3Dus-1",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        },
        {
            "status": "firing",
            "labels": {"alertname": "High CPU usage", "team": "blue", "zone": "eu-1"},
            "annotations": {
                "description": "The system has high CPU usage",
                "runbook_url": "https://myrunbook.com/runbook/1234",
                "summary": "This alert was triggered for zone eu-1",
            },
            "startsAt": "2021-10-12T09:56:03.157076+02:00",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "https://play.grafana.org/alerting/d1rdpdv7k/edit",
            "fingerprint": "bc97ff14869b13e3",
            "silenceURL": "https://play.grafana.org/alerting/silence/new?alertmanager=grafana&matchers=alertname%3DT1%2Cteam%3Dblue%2Czone%3Deu-1",
            "dashboardURL": "",
            "panelURL": "",
            "values": {"B": 44.23943737541908, "C": 1},
        },
    ],
    "groupLabels": {},
    "commonLabels": {"team": "blue"},
    "commonAnnotations": {},
    "externalURL": "https://play.grafana.org/",
    "version": "1",
    "groupKey": "{}:{}",
    "truncatedAlerts": 0,
    "title": "[FIRING:2]  (blue)",
    "state": "alerting",
    "message": "**Firing**\n\nLabels:\n - alertname = T2\n - team = blue\n - zone = us-1\n",
}
BODY = json.dumps(PAYLOAD).encode()
SECRET = "a shared secret set on the contact point"


def sign(body: bytes, stamp: str = "", secret: str = SECRET) -> str:
    signed = f"{stamp}:".encode() + body if stamp else body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def changed(alert_index=None, **fields):
    payload = json.loads(json.dumps(PAYLOAD))
    target = payload if alert_index is None else payload["alerts"][alert_index]
    for name, value in fields.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return json.dumps(payload).encode()


def test_the_documented_message_gives_one_alert_per_alert_in_its_group():
    memory, cpu = grafana.parse(BODY, {})

    assert (memory.key, memory.group_key, memory.status) == ("c6eadffa33fcdf37", "{}:{}", "firing")
    assert (cpu.key, cpu.group_key) == ("bc97ff14869b13e3", "{}:{}")
    assert memory.summary == "This alert was triggered for zone us-1"
    assert memory.labels == {"alertname": "High memory usage", "team": "blue", "zone": "us-1"}
    assert memory.starts_at == datetime(
        2021, 10, 12, 9, 51, 3, 157076, tzinfo=timezone(timedelta(hours=2))
    )
    assert memory.ends_at is None
    assert memory.source_url == "https://play.grafana.org/alerting/1afz29v7z/edit"


def test_grafanas_additions_are_kept_in_the_details_and_empty_links_are_dropped():
    memory, _ = grafana.parse(BODY, {})

    assert memory.details == {
        "org_id": 1,
        "receiver": "My Super Webhook",
        "external_url": "https://play.grafana.org/",
        "silence_url": PAYLOAD["alerts"][0]["silenceURL"],
        "values": {"B": 44.23943737541908, "C": 1},
    }


def test_a_resolved_alert_carries_its_end():
    (memory, _) = grafana.parse(changed(0, status="resolved", endsAt="2021-10-12T10:01:03Z"), {})

    assert memory.status == "resolved"
    assert memory.ends_at == datetime(2021, 10, 12, 10, 1, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (changed(version="4"), "version"),
        (changed(orgId="1"), "orgId"),
        (changed(groupKey=None), "groupKey"),
        (changed(0, values=[44.2]), "alerts[0].values"),
        (changed(0, values={"B": "44.2"}), "alerts[0].values.B"),
        (changed(0, values={"B": True}), "alerts[0].values.B"),
        (changed(1, imageURL=3), "alerts[1].imageURL"),
        (changed(1, fingerprint="f" * 256), "alerts[1].fingerprint"),
        (changed(0, startsAt="12/10/2021 09:51"), "alerts[0].startsAt"),
    ],
)
def test_a_malformed_message_is_refused_naming_the_field(body, field):
    with pytest.raises(SourceError) as caught:
        grafana.parse(body, {})

    assert caught.value.field == field


def test_a_body_signed_without_a_timestamp_is_verified():
    headers = {"X-Grafana-Alerting-Signature": sign(BODY)}

    assert grafana.verify(SECRET, headers, BODY)
    assert grafana.verify(SECRET, {"x-grafana-alerting-signature": sign(BODY).upper()}, BODY)


def test_a_body_signed_with_a_timestamp_is_verified_while_fresh():
    stamp = str(int(time.time()))
    headers = {
        "X-Grafana-Alerting-Signature": sign(BODY, stamp),
        "X-Grafana-Alerting-Signature-Timestamp": stamp,
    }

    assert grafana.verify(SECRET, headers, BODY)
    assert grafana.verify(SECRET, headers, BODY, now=int(stamp) + 299)
    assert not grafana.verify(SECRET, headers, BODY, now=int(stamp) + 301)
    assert not grafana.verify(SECRET, headers, BODY, now=int(stamp) - 301)


def test_a_wrong_secret_a_changed_body_or_a_changed_timestamp_fails():
    stamp = str(int(time.time()))
    headers = {
        "X-Grafana-Alerting-Signature": sign(BODY, stamp),
        "X-Grafana-Alerting-Signature-Timestamp": stamp,
    }
    moved = {**headers, "X-Grafana-Alerting-Signature-Timestamp": str(int(stamp) - 1)}
    dropped = {"X-Grafana-Alerting-Signature": sign(BODY, stamp)}

    assert not grafana.verify("another secret", headers, BODY)
    assert not grafana.verify(SECRET, headers, BODY.replace(b"firing", b"resolved"))
    assert not grafana.verify(SECRET, moved, BODY)
    assert not grafana.verify(SECRET, dropped, BODY)


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Grafana-Alerting-Signature": ""},
        {"X-Grafana-Alerting-Signature": "sha256=" + sign(BODY)},
        {"X-Grafana-Alerting-Signature": sign(BODY)[:-2]},
        {"X-Grafana-Alerting-Signature": "zz" * 32},
        {"X-Grafana-Alerting-Signature": "é" * 64},
        {"X-Grafana-Alerting-Signature": sign(BODY, "abc"), "X-Grafana-Alerting-Timestamp": "abc"},
        {"X-Grafana-Alerting-Signature": sign(BODY, "-5"), "X-Grafana-Alerting-Timestamp": "-5"},
        {"X-Grafana-Alerting-Signature": sign(BODY, "١٢٣"), "X-Grafana-Alerting-Timestamp": "١٢٣"},
    ],
)
def test_a_missing_or_malformed_signature_fails_without_raising(headers):
    assert not grafana.verify(SECRET, headers, BODY)


def test_the_senders_fallback_header_and_configured_header_names_are_honoured():
    stamp = str(int(time.time()))
    custom = {"X-Signature": sign(BODY, stamp), "X-Signed-At": stamp}

    assert grafana.verify(SECRET, {"X-Grafana-Alert-Signature": sign(BODY)}, BODY)
    assert grafana.verify(
        SECRET, custom, BODY, signature_header="X-Signature", timestamp_header="X-Signed-At"
    )
    assert not grafana.verify(SECRET, custom, BODY)
    assert not grafana.verify(
        SECRET,
        {"X-Signature": sign(BODY)},
        BODY,
        signature_header="X-Signature",
        timestamp_header="X-Signed-At",
    )


def test_no_secret_verifies_nothing():
    assert not grafana.verify("", {"X-Grafana-Alerting-Signature": sign(BODY, secret="")}, BODY)


(
    test_a_body_that_is_not_a_payload_is_refused,
    test_the_real_payload_with_any_field_broken_gives_alerts_or_a_source_error_only,
    test_any_json_gives_alerts_or_a_source_error_only,
) = garbage_tests(grafana.parse, PAYLOAD)

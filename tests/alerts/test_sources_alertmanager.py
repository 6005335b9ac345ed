"""Alertmanager's webhook (payload version 4) read into neutral alerts, and every malformed
body refused with a SourceError naming the field."""

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from incidentdesk.alerts.sources import alertmanager
from incidentdesk.alerts.sources.base import MAX_ALERTS, SourceError
from tests.alerts.garbage import garbage_tests

# The shape `<webhook_config>` in Alertmanager's docs/configuration.md describes, filled in as
# Alertmanager sends it (Go's RFC 3339 with nanoseconds, the zero time for "no end"), with the
# fields added since (notification_reason, routeLabels) that a receiver must ignore.
GROUP_KEY = '{}/{severity="critical"}:{alertname="DiskFull", cluster="eu-1"}'
PAYLOAD = {
    "version": "4",
    "groupKey": GROUP_KEY,
    "truncatedAlerts": 0,
    "status": "firing",
    "receiver": "incidentdesk",
    "groupLabels": {"alertname": "DiskFull", "cluster": "eu-1"},
    "commonLabels": {"alertname": "DiskFull", "cluster": "eu-1", "severity": "critical"},
    "commonAnnotations": {},
    "externalURL": "http://alertmanager.example.net:9093",
    "notification_reason": "new alerts",
    "routeLabels": {"team": "storage"},
    "alerts": [
        {
            "status": "firing",
            "labels": {
                "alertname": "DiskFull",
                "cluster": "eu-1",
                "instance": "db-1:9100",
                "severity": "critical",
            },
            "annotations": {
                "summary": "Disk on db-1 is 97% full",
                "description": "Filesystem /var/lib/postgresql has 3% left.",
            },
            "startsAt": "2026-11-30T05:12:03.417893712Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=disk_free",
            "fingerprint": "5b2ee6a5bbf40e29",
        },
        {
            "status": "resolved",
            "labels": {
                "alertname": "DiskFull",
                "cluster": "eu-1",
                "instance": "db-2:9100",
                "severity": "critical",
            },
            "annotations": {"description": "Filesystem /var/lib/postgresql has 4% left."},
            "startsAt": "2026-11-30T04:50:00Z",
            "endsAt": "2026-11-30T05:20:00.5+01:00",
            "generatorURL": "http://prometheus.example.net:9090/graph?g0.expr=disk_free",
            "fingerprint": "a1f0c2d9e8b7c6d5",
        },
    ],
}


def parse(payload):
    return alertmanager.parse(json.dumps(payload).encode(), {})


def refusal(payload) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(payload)
    return caught.value


def changed(alert_index=None, **fields):
    payload = json.loads(json.dumps(PAYLOAD))
    target = payload if alert_index is None else payload["alerts"][alert_index]
    for name, value in fields.items():
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return payload


def test_each_inner_alert_becomes_one_alert_keyed_by_its_fingerprint_in_the_group():
    firing, resolved = parse(PAYLOAD)

    assert (firing.key, firing.group_key, firing.status) == (
        "5b2ee6a5bbf40e29",
        GROUP_KEY,
        "firing",
    )
    assert (resolved.key, resolved.group_key, resolved.status) == (
        "a1f0c2d9e8b7c6d5",
        GROUP_KEY,
        "resolved",
    )
    assert firing.severity == "critical"
    assert firing.labels["instance"] == "db-1:9100"
    assert firing.annotations["description"].startswith("Filesystem")
    assert firing.source_url == "http://prometheus.example.net:9090/graph?g0.expr=disk_free"
    assert firing.details == {
        "receiver": "incidentdesk",
        "external_url": "http://alertmanager.example.net:9093",
    }


def test_times_are_read_as_rfc_3339_and_the_zero_time_means_no_end():
    firing, resolved = parse(PAYLOAD)

    assert firing.starts_at == datetime(2026, 11, 30, 5, 12, 3, 417893, tzinfo=UTC)
    assert firing.ends_at is None
    assert resolved.starts_at == datetime(2026, 11, 30, 4, 50, tzinfo=UTC)
    assert resolved.ends_at == datetime(
        2026, 11, 30, 5, 20, 0, 500000, tzinfo=timezone(timedelta(hours=1))
    )


def test_a_firing_alerts_presumed_end_is_not_taken_as_its_end():
    (alert, _) = parse(changed(0, endsAt="2026-11-30T05:17:03Z"))

    assert alert.ends_at is None


def test_the_summary_falls_back_to_the_description_then_the_alert_name():
    _, resolved = parse(PAYLOAD)
    (named, _) = parse(changed(0, annotations={}))

    assert resolved.summary == "Filesystem /var/lib/postgresql has 4% left."
    assert named.summary == "DiskFull"


def test_an_alert_without_a_fingerprint_is_keyed_by_a_stable_hash_of_its_labels():
    first, _ = parse(changed(0, fingerprint=None))
    reordered = changed(0, fingerprint=None)
    reordered["alerts"][0]["labels"] = dict(reversed(reordered["alerts"][0]["labels"].items()))
    again, _ = parse(reordered)
    other = changed(0, fingerprint=None)
    other["alerts"][0]["labels"]["instance"] = "db-9:9100"
    different, _ = parse(other)

    assert first.key == again.key
    assert first.key != different.key
    assert len(first.key) <= 255


def test_a_message_without_a_version_is_read_and_another_version_is_refused():
    assert len(parse(changed(version=None))) == 2
    assert refusal(changed(version="1")).field == "version"
    assert refusal(changed(version=4)).field == "version"


def test_a_group_key_longer_than_a_key_is_hashed_to_a_stable_short_one():
    long_key = "{}/{}:{" + ", ".join(f'label{n}="value{n}"' for n in range(40)) + "}"

    (first, _) = parse(changed(groupKey=long_key))
    (again, _) = parse(changed(groupKey=long_key))

    assert first.group_key == again.group_key
    assert first.group_key.startswith("sha256:") and len(first.group_key) <= 255


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (changed(groupKey=None), "groupKey"),
        (changed(groupKey=7), "groupKey"),
        (changed(alerts=None), "alerts"),
        (changed(alerts=[]), "alerts"),
        (changed(alerts={"0": {}}), "alerts"),
        (changed(alerts=["firing"]), "alerts[0]"),
        (changed(0, status="pending"), "alerts[0].status"),
        (changed(0, status=None), "alerts[0].status"),
        (changed(1, fingerprint="f" * 256), "alerts[1].fingerprint"),
        (changed(1, fingerprint=12345), "alerts[1].fingerprint"),
        (changed(0, fingerprint=None, labels={}), "alerts[0].fingerprint"),
        (changed(0, labels={"severity": 2}), "alerts[0].labels.severity"),
        (changed(0, labels=["alertname"]), "alerts[0].labels"),
        (changed(0, labels={"k" * 256: "v"}), "alerts[0].labels.<name>"),
        (changed(0, annotations={"summary": "a\x00b"}), "alerts[0].annotations.summary"),
        (changed(0, startsAt="yesterday"), "alerts[0].startsAt"),
        (changed(0, startsAt="2026-11-30T05:12:03"), "alerts[0].startsAt"),
        (changed(0, startsAt="2026-11-30"), "alerts[0].startsAt"),
        (changed(1, endsAt=1700000000), "alerts[1].endsAt"),
        (changed(0, generatorURL=["http://x"]), "alerts[0].generatorURL"),
        (changed(truncatedAlerts=-1), "truncatedAlerts"),
        (changed(receiver={}), "receiver"),
    ],
)
def test_a_malformed_message_is_refused_naming_the_field(payload, field):
    assert refusal(payload).field == field


def test_too_many_alerts_are_refused():
    alert = PAYLOAD["alerts"][0]

    assert refusal(changed(alerts=[alert] * (MAX_ALERTS + 1))).field == "alerts"
    assert len(parse(changed(alerts=[alert] * MAX_ALERTS))) == MAX_ALERTS


(
    test_a_body_that_is_not_a_payload_is_refused,
    test_the_real_payload_with_any_field_broken_gives_alerts_or_a_source_error_only,
    test_any_json_gives_alerts_or_a_source_error_only,
) = garbage_tests(alertmanager.parse, PAYLOAD)

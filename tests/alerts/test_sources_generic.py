"""IncidentDesk's own alert shape: one alert, a list, or {"alerts": [...]}, read into neutral
alerts, with every malformed or misspelt alert refused naming the field."""

import json
from datetime import UTC, datetime

import pytest

from incidentdesk.alerts.sources import generic
from incidentdesk.alerts.sources.base import MAX_ALERTS, SourceError
from tests.alerts.garbage import garbage_tests

ALERT = {
    "key": "db-primary-disk",
    "group": "db-primary",
    "status": "firing",
    "summary": "Disk on db-primary is 95% full",
    "severity": "critical",
    "labels": {"team": "db", "env": "prod"},
    "starts_at": "2026-11-30T05:00:00Z",
    "url": "https://checks.example.net/db-primary",
    "details": {"free_bytes": 5368709120, "mount": "/var/lib/postgresql", "hosts": ["db-1"]},
}
MINIMAL = {"key": "backup-nightly", "summary": "The nightly backup did not run"}


def parse(value):
    return generic.parse(json.dumps(value).encode(), {})


def refusal(value) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(value)
    return caught.value


def test_a_full_alert_is_read_field_by_field():
    (alert,) = parse(ALERT)

    assert (alert.key, alert.group_key, alert.status) == ("db-primary-disk", "db-primary", "firing")
    assert alert.summary == "Disk on db-primary is 95% full"
    assert alert.severity == "critical"
    assert alert.labels == {"team": "db", "env": "prod"}
    assert alert.starts_at == datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
    assert alert.source_url == "https://checks.example.net/db-primary"
    assert alert.details == ALERT["details"]


def test_a_minimal_alert_fires_in_a_group_of_its_own_key():
    (alert,) = parse(MINIMAL)

    assert (alert.key, alert.group_key, alert.status) == (
        "backup-nightly",
        "backup-nightly",
        "firing",
    )
    assert (alert.severity, alert.labels, alert.starts_at, alert.details) == ("", {}, None, {})


def test_a_resolve_needs_only_the_key():
    (alert,) = parse({"key": "backup-nightly", "status": "resolved"})

    assert (alert.key, alert.status, alert.summary) == ("backup-nightly", "resolved", "")


def test_a_list_and_an_alerts_object_carry_several_alerts_in_order():
    listed = parse([ALERT, MINIMAL])
    wrapped = parse({"alerts": [ALERT, MINIMAL]})

    assert [alert.key for alert in listed] == ["db-primary-disk", "backup-nightly"]
    assert listed == wrapped


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({**ALERT, "key": None}, "key"),
        ({**ALERT, "key": ""}, "key"),
        ({**ALERT, "key": "k" * 256}, "key"),
        ({**ALERT, "key": 17}, "key"),
        ({**ALERT, "group": "g" * 256}, "group"),
        ({**ALERT, "status": "acknowledged"}, "status"),
        ({**ALERT, "status": "FIRING"}, "status"),
        ({**ALERT, "summary": ""}, "summary"),
        ({**ALERT, "summary": "s" * 1025}, "summary"),
        ({**ALERT, "summary": "line\x0bbreak"}, "summary"),
        ({**ALERT, "severity": "x" * 65}, "severity"),
        ({**ALERT, "labels": {"team": ["db"]}}, "labels.team"),
        ({**ALERT, "starts_at": "2026-11-30 05:00"}, "starts_at"),
        ({**ALERT, "starts_at": 1764478800}, "starts_at"),
        ({**ALERT, "url": {"href": "x"}}, "url"),
        ({**ALERT, "details": ["x"]}, "details"),
        ({**ALERT, "details": {"note": "\x00"}}, "details.note"),
        ({**ALERT, "sumary": "typo"}, "sumary"),
        ([ALERT, {**MINIMAL, "key": None}], "[1].key"),
        ([ALERT, "backup-nightly"], "[1]"),
        ({"alerts": [MINIMAL, {**MINIMAL, "status": "ok"}]}, "alerts[1].status"),
        ({"alerts": [MINIMAL], "source": "cron"}, "source"),
        ({"alerts": []}, "alerts"),
        ({"alerts": MINIMAL}, "alerts"),
        ([], "body"),
        ("backup-nightly", "body"),
        (None, "body"),
    ],
)
def test_a_malformed_alert_is_refused_naming_the_field(value, field):
    assert refusal(value).field == field


def test_numbers_json_cannot_carry_back_out_are_refused():
    for number in (b"1e400", b"-1e400", b"NaN", b"Infinity"):
        body = b'{"key": "k", "summary": "s", "details": {"load": ' + number + b"}}"
        with pytest.raises(SourceError):
            generic.parse(body, {})


def test_too_many_alerts_are_refused():
    assert refusal([MINIMAL] * (MAX_ALERTS + 1)).field == "body"
    assert refusal({"alerts": [MINIMAL] * (MAX_ALERTS + 1)}).field == "alerts"


(
    test_a_body_that_is_not_a_payload_is_refused,
    test_the_real_payload_with_any_field_broken_gives_alerts_or_a_source_error_only,
    test_any_json_gives_alerts_or_a_source_error_only,
) = garbage_tests(generic.parse, {"alerts": [ALERT, MINIMAL]})

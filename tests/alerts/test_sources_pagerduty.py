"""PagerDuty Events API v2 events (trigger, acknowledge, resolve) read into neutral alerts, the
routing key found for the intake, and every malformed event refused naming the field."""

import json
from datetime import UTC, datetime

import pytest

from incidentdesk.alerts.sources import pagerduty
from incidentdesk.alerts.sources.base import SourceError
from tests.alerts.garbage import garbage_tests

ROUTING_KEY = "e93facc04764012d7bfb002500d5d1a6"
# The trigger event of PagerDuty's Events API v2 documentation.
TRIGGER = {
    "payload": {
        "summary": "DISK at 99% on machine prod-datapipe03.example.com",
        "timestamp": "2015-07-17T08:42:58.315+0000",
        "severity": "critical",
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
        "custom_details": {"free space": "1%", "ping time": "1500ms", "load avg": 0.75},
    },
    "routing_key": ROUTING_KEY,
    "dedup_key": "srv01/mysql",
    "images": [
        {
            "src": "https://chart.googleapis.com/chart?chs=600x400&chd=t:6,2,9,5,2,5,7,4,7,3&cht=lc&chds=0,10&chxt=x,y&chxr=0,0,10|1,0,10",
            "href": "https://example.com/",
            "alt": "An example link with an image",
        }
    ],
    "event_action": "trigger",
    "client": "Sample Monitoring Service",
    "client_url": "https://monitoring.service.com",
    "links": [{"href": "http://pagerduty.example.com", "text": "An example link."}],
}
ACKNOWLEDGE = {
    "routing_key": ROUTING_KEY,
    "dedup_key": "srv01/mysql",
    "event_action": "acknowledge",
}
RESOLVE = {"routing_key": ROUTING_KEY, "dedup_key": "srv01/mysql", "event_action": "resolve"}


def parse(event):
    return pagerduty.parse(json.dumps(event).encode(), {})


def refusal(event) -> SourceError:
    with pytest.raises(SourceError) as caught:
        parse(event)
    return caught.value


def changed(event, **payload_fields):
    copy = json.loads(json.dumps(event))
    for name, value in payload_fields.items():
        if value is None:
            copy["payload"].pop(name, None)
        else:
            copy["payload"][name] = value
    return copy


def without(event, name):
    return {key: value for key, value in event.items() if key != name}


def test_a_trigger_becomes_a_firing_alert_keyed_and_grouped_by_its_dedup_key():
    (alert,) = parse(TRIGGER)

    assert (alert.key, alert.group_key, alert.status) == ("srv01/mysql", "srv01/mysql", "firing")
    assert alert.summary == "DISK at 99% on machine prod-datapipe03.example.com"
    assert alert.severity == "critical"
    assert alert.starts_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert alert.labels == {
        "source": "prod-datapipe03.example.com",
        "component": "mysql",
        "group": "prod-datapipe",
        "class": "disk",
    }
    assert alert.source_url == "http://pagerduty.example.com"


def test_a_triggers_custom_details_links_images_and_client_are_kept():
    (alert,) = parse(TRIGGER)

    assert alert.details["custom_details"] == {
        "free space": "1%",
        "ping time": "1500ms",
        "load avg": 0.75,
    }
    assert alert.details["links"] == [
        {"href": "http://pagerduty.example.com", "text": "An example link."}
    ]
    assert alert.details["images"][0]["alt"] == "An example link with an image"
    assert alert.details["client"] == "Sample Monitoring Service"
    assert alert.details["client_url"] == "https://monitoring.service.com"


def test_without_links_the_client_url_is_where_to_look():
    (alert,) = parse(without(TRIGGER, "links"))

    assert alert.source_url == "https://monitoring.service.com"


def test_acknowledge_and_resolve_name_the_alert_by_its_dedup_key():
    (acknowledged,) = parse(ACKNOWLEDGE)
    (resolved,) = parse(RESOLVE)

    assert (acknowledged.key, acknowledged.status) == ("srv01/mysql", "acknowledged")
    assert (resolved.key, resolved.group_key, resolved.status) == (
        "srv01/mysql",
        "srv01/mysql",
        "resolved",
    )
    assert resolved.summary == ""


def test_a_trigger_without_a_dedup_key_gets_a_new_unique_one():
    (first,) = parse(without(TRIGGER, "dedup_key"))
    (second,) = parse(without(TRIGGER, "dedup_key"))

    assert first.key and first.key == first.group_key
    assert len(first.key) <= 255
    assert first.key != second.key


def test_the_dedup_key_is_case_sensitive():
    (upper,) = parse({**TRIGGER, "dedup_key": "SRV01/MySQL"})

    assert upper.key == "SRV01/MySQL"


def test_the_routing_key_is_given_to_the_intake_or_refused():
    assert pagerduty.routing_key(json.dumps(TRIGGER).encode()) == ROUTING_KEY
    assert pagerduty.routing_key(json.dumps({"routing_key": "short"}).encode()) == "short"
    for body in (b"[]", b"{}", b'{"routing_key": ""}', b'{"routing_key": 5}', b"garbage"):
        with pytest.raises(SourceError):
            pagerduty.routing_key(body)
    with pytest.raises(SourceError) as caught:
        pagerduty.routing_key(json.dumps({"routing_key": "r" * 256}).encode())
    assert caught.value.field == "routing_key"


@pytest.mark.parametrize(
    ("event", "field"),
    [
        (without(TRIGGER, "routing_key"), "routing_key"),
        ({**TRIGGER, "routing_key": "r" * 256}, "routing_key"),
        (without(TRIGGER, "event_action"), "event_action"),
        ({**TRIGGER, "event_action": "TRIGGER"}, "event_action"),
        ({**TRIGGER, "event_action": "escalate"}, "event_action"),
        ({**TRIGGER, "dedup_key": "d" * 256}, "dedup_key"),
        ({**TRIGGER, "dedup_key": 42}, "dedup_key"),
        (without(ACKNOWLEDGE, "dedup_key"), "dedup_key"),
        (without(RESOLVE, "dedup_key"), "dedup_key"),
        (without(TRIGGER, "payload"), "payload"),
        ({**TRIGGER, "payload": "DISK at 99%"}, "payload"),
        (changed(TRIGGER, summary=None), "payload.summary"),
        (changed(TRIGGER, summary="s" * 1025), "payload.summary"),
        (changed(TRIGGER, source=None), "payload.source"),
        (changed(TRIGGER, severity=None), "payload.severity"),
        (changed(TRIGGER, severity="high"), "payload.severity"),
        (changed(TRIGGER, timestamp="17/07/2015"), "payload.timestamp"),
        (changed(TRIGGER, component=["mysql"]), "payload.component"),
        ({**TRIGGER, "links": {"href": "x"}}, "links"),
        ({**TRIGGER, "links": ["http://x"]}, "links[0]"),
        ({**TRIGGER, "images": [{"src": 7}]}, "images[0].src"),
        ({**TRIGGER, "links": [{"href": "x"}] * 51}, "links"),
        ({**RESOLVE, "payload": {"severity": "fatal"}}, "payload.severity"),
        (changed(TRIGGER, custom_details={"note": "a\x00b"}), "payload.custom_details.note"),
        (changed(TRIGGER, custom_details=[["\ud800"]]), "payload.custom_details[0][0]"),
    ],
)
def test_a_malformed_event_is_refused_naming_the_field(event, field):
    assert refusal(event).field == field


(
    test_a_body_that_is_not_a_payload_is_refused,
    test_the_real_payload_with_any_field_broken_gives_alerts_or_a_source_error_only,
    test_any_json_gives_alerts_or_a_source_error_only,
) = garbage_tests(pagerduty.parse, TRIGGER)

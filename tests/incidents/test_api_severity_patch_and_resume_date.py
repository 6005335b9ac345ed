"""`PATCH /severities/{key}` takes the level from the path (the body's `key` used to be
required), and the date work resumes on a blocked incident may be given as a moment, reduced to
its date in the reporting time zone (only a bare date used to be taken)."""

from datetime import date

import pytest

from incidentdesk.incidents.models import Severity


def test_a_severity_patch_needs_no_key_in_the_body(boss):
    response = boss.call("PATCH", "/severities/major", {"reminder_interval_minutes": 45})
    assert response.status_code == 200, response.json_body
    assert response.json_body["key"] == "major"
    assert Severity.objects.get(key="major").reminder_interval_minutes == 45


def test_a_key_sent_back_in_a_severity_patch_is_ignored(boss):
    response = boss.call("PATCH", "/severities/major", {"key": "major", "name": "Big"})
    assert response.status_code == 200, response.json_body
    assert Severity.objects.get(key="major").name == "Big"


def test_an_empty_severity_patch_changes_nothing(boss):
    before = boss.call("GET", "/severities").json_body
    response = boss.call("PATCH", "/severities/major", {})
    assert response.status_code == 200, response.json_body
    assert boss.call("GET", "/severities").json_body == before


def block(client, incident, until):
    body = {"status": "blocked", "reason": "waiting for the vendor", "blocked_until": until}
    return client.call("POST", f"/incidents/{incident.reference}/status", body)


@pytest.mark.parametrize(
    ("zone", "until", "stored"),
    [
        ("UTC", "2030-03-04", date(2030, 3, 4)),
        ("UTC", "2030-03-04T23:30:00+00:00", date(2030, 3, 4)),
        ("UTC", "2030-03-04T23:30:00Z", date(2030, 3, 4)),
        # 23:30 UTC is already the next day in Berlin, and 01:00 UTC the day before in Denver.
        ("Europe/Berlin", "2030-03-04T23:30:00Z", date(2030, 3, 5)),
        ("America/Denver", "2030-03-05T01:00:00+00:00", date(2030, 3, 4)),
        ("America/Denver", "2030-03-04T09:00:00-07:00", date(2030, 3, 4)),
    ],
)
def test_the_resume_date_takes_a_moment_as_its_date_in_the_reporting_zone(
    rita, incident, settings, zone, until, stored
):
    settings.REPORTING_TIME_ZONE = zone
    response = block(rita, incident, until)
    assert response.status_code == 200, response.json_body
    assert response.json_body["blocked_until"] == stored.isoformat()
    incident.refresh_from_db()
    assert incident.blocked_until == stored


@pytest.mark.parametrize(
    "until", ["2030-03-04T10:00:00", "2030-02-30", "next week", 20300304, "2030-03-04T25:00Z"]
)
def test_a_resume_date_that_is_not_one_is_a_422_naming_it(rita, incident, until):
    response = block(rita, incident, until)
    assert response.status_code == 422, response.json_body
    assert response.json_body["field"] == "blocked_until"
    incident.refresh_from_db()
    assert incident.status != "blocked"

"""Incident endpoints: declare, list, read, change, status and commands."""

from datetime import timedelta

from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, TimelineEntry
from incidentdesk.incidents.services import incident_resolve, role_assign
from tests.factories import ComponentFactory


def iso(dt):
    return dt.isoformat()


def test_declaring_returns_201_with_the_reference(rita, responder):
    response = rita.call(
        "POST",
        "/incidents",
        {
            "title": "DB down",
            "severity": "Sev1",
            "criteria": ["immediate_response"],
            "summary": "Primary is gone",
            "tracker_url": "https://tracker.example.com/1",
        },
    )
    assert response.status_code == 201, response.content
    body = response.json_body
    year = timezone.now().year
    assert body["reference"] == f"INC-{year}-0001"
    assert (body["severity"], body["status"], body["kind"]) == ("critical", "investigating", "live")
    assert body["roles"]["reporter"][0]["username"] == responder.username
    assert body["url"] == f"/incidents/INC-{year}-0001"
    assert TimelineEntry.objects.get(incident__reference=body["reference"]).source == "api"


def test_declaring_with_a_numeric_severity_and_components(rita):
    ComponentFactory(name="API")
    response = rita.call(
        "POST",
        "/incidents",
        {"title": "x", "severity": 2, "criteria": ["security"], "components": ["api"]},
    )
    assert response.status_code == 201, response.content
    assert response.json_body["severity"] == "major"
    assert response.json_body["components"] == ["API"]


def test_a_retrospective_declaration_shows_its_measured_times(rita):
    now = timezone.now().replace(microsecond=0)
    response = rita.call(
        "POST",
        "/incidents",
        {
            "title": "Last week's outage",
            "severity": "major",
            "kind": "retrospective",
            "criteria_reason": "reported late",
            "started_at": iso(now - timedelta(minutes=135)),
            "detected_at": iso(now - timedelta(minutes=90)),
            "resolved_at": iso(now),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json_body
    assert body["status"] == "resolved"
    assert body["time_to_detect"] == {"seconds": 45 * 60, "text": "45 minutes"}
    assert body["time_to_fix"] == {"seconds": 90 * 60, "text": "1.5 hours"}
    assert body["time_to_recover"]["text"] == "2.3 hours"  # 2.25 rounds half up


def test_listing_is_paginated_with_items_and_count(rita, declare):
    for n in range(27):
        declare(title=f"Incident {n}")
    first = rita.call("GET", "/incidents")
    assert first.status_code == 200
    assert first.json_body["count"] == 27
    assert len(first.json_body["items"]) == 25
    second = rita.call("GET", "/incidents?page=2")
    assert len(second.json_body["items"]) == 2


def test_listing_reads_a_fixed_number_of_queries_whatever_the_desk(
    rita, declare, responder, make_user, django_assert_max_num_queries
):
    make_user(username="deskie", on_responders_desk=True)
    for n in range(12):
        incident = declare(title=f"Incident {n}")
        role_assign(
            actor=responder,
            source=ActionSource.WEB,
            incident=incident,
            role="assignee",
            user=make_user(username=f"dev{n}"),
        )
    with django_assert_max_num_queries(8):
        listing = rita.call("GET", "/incidents")
    desks = [item["desk"] for item in listing.json_body["items"]]
    assert len(desks) == 12
    assert all([m["username"] for m in desk][0] == "deskie" and len(desk) == 2 for desk in desks)


def test_listing_filters_by_status_severity_component_kind_and_text(rita, declare, responder):
    ComponentFactory(name="Search")
    critical = declare(title="Search is down", severity="critical", components=["Search"])
    trivial = declare(title="Typo on pricing", severity="trivial")
    incident_resolve(actor=responder, source=ActionSource.WEB, incident=trivial)

    def refs(query):
        response = rita.call("GET", f"/incidents?{query}")
        assert response.status_code == 200, response.content
        return [item["reference"] for item in response.json_body["items"]]

    assert refs("status=open") == [critical.reference]
    assert refs("status=resolved") == [trivial.reference]
    assert refs("severity=critical") == [critical.reference]
    assert refs("component=search") == [critical.reference]
    assert refs("q=typo") == [trivial.reference]
    assert refs("kind=retrospective") == []


def test_getting_one_incident_by_reference_in_any_case(rita, incident):
    response = rita.call("GET", f"/incidents/{incident.reference.lower()}")
    assert response.status_code == 200
    assert response.json_body["title"] == incident.title
    assert response.json_body["summary"] == "Payments fail"


def test_an_unknown_reference_is_404_json(rita):
    response = rita.call("GET", "/incidents/INC-1999-0001")
    assert response.status_code == 404
    assert response.json_body["field"] == "reference"
    assert "INC-1999-0001" in response.json_body["detail"]


def test_patching_changes_fields_and_records_them(rita, incident):
    response = rita.call(
        "PATCH",
        f"/incidents/{incident.reference}",
        {"summary": "All payments fail", "severity": "p1"},
    )
    assert response.status_code == 200, response.content
    assert response.json_body["summary"] == "All payments fail"
    assert response.json_body["severity"] == "critical"
    entry = TimelineEntry.objects.get(incident=incident, kind="field_change")
    assert entry.source == "api"
    assert set(entry.data["changes"]) == {"summary", "severity"}


def test_patching_a_timestamp_correction(rita, incident):
    started = (timezone.now() - timedelta(hours=1)).replace(microsecond=0)
    response = rita.call("PATCH", f"/incidents/{incident.reference}", {"started_at": iso(started)})
    assert response.status_code == 200, response.content
    assert Incident.objects.get(pk=incident.pk).started_at == started


def test_status_changes_through_the_api(rita, incident):
    response = rita.call(
        "POST",
        f"/incidents/{incident.reference}/status",
        {"status": "monitoring", "message": "fix out"},
    )
    assert response.status_code == 200, response.content
    assert response.json_body["status"] == "monitoring"
    assert response.json_body["mitigated_at"] is not None


def test_blocking_through_the_api_keeps_the_date(rita, incident):
    until = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = rita.call(
        "POST",
        f"/incidents/{incident.reference}/status",
        {"status": "blocked", "reason": "vendor", "blocked_until": until},
    )
    assert response.status_code == 200, response.content
    assert (response.json_body["blocked_until"], response.json_body["status_reason"]) == (
        until,
        "vendor",
    )


def test_commands_through_the_api(rita, incident):
    response = rita.call(
        "POST", f"/incidents/{incident.reference}/commands", {"text": "sev critical"}
    )
    assert response.status_code == 200, response.content
    assert response.json_body["reply"] == "Severity is now Critical."
    assert response.json_body["warnings"] == []
    assert response.json_body["incident"]["severity"] == "critical"


def test_a_command_warning_comes_back(rita, incident, responder):
    rita.call(
        "POST", f"/incidents/{incident.reference}/commands", {"text": f"lead {responder.username}"}
    )
    response = rita.call(
        "POST", f"/incidents/{incident.reference}/commands", {"text": f"scribe {responder.email}"}
    )
    assert response.status_code == 200, response.content
    assert "both lead and scribe" in response.json_body["warnings"][0]


def test_help_command_through_the_api(rita, incident):
    response = rita.call("POST", f"/incidents/{incident.reference}/commands", {"text": "HELP"})
    assert response.status_code == 200
    assert response.json_body["reply"].startswith("Commands:")


def test_an_unknown_command_is_422_with_the_help(rita, incident):
    response = rita.call("POST", f"/incidents/{incident.reference}/commands", {"text": "dance"})
    assert response.status_code == 422
    assert response.json_body["field"] == "text"
    assert "unknown command 'dance'" in response.json_body["detail"]
    assert "Commands:" in response.json_body["detail"]

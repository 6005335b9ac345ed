"""Bad input on every write endpoint: a 4xx JSON answer naming the field, and nothing stored.

Each case is (method, path, body, status, field). Paths may use {ref}, {entry}, {action},
{component}; a body given as a str is sent as raw (possibly malformed) JSON.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import action_item_create, timeline_entry_add
from tests.factories import ComponentFactory

NOW = timezone.now()
HOUR_AGO = (NOW - timedelta(hours=1)).isoformat()
TWO_HOURS_AGO = (NOW - timedelta(hours=2)).isoformat()
TOMORROW = (NOW + timedelta(days=1)).isoformat()
OK = {"title": "x", "severity": "major", "criteria": ["security"]}
INC, TL = "/incidents", "/incidents/{ref}/timeline"


def declaring(**fields):
    return {**OK, **fields}


CASES = [
    # POST /incidents
    ("POST", INC, '{"title": ', 400, "body"),
    ("POST", INC, "[1, 2]", 422, "body"),
    ("POST", INC, '"just a string"', 422, "body"),
    ("POST", INC, declaring(title=5), 422, "title"),
    ("POST", INC, declaring(title=None), 422, "title"),
    ("POST", INC, {"severity": "major", "criteria": ["security"]}, 422, "title"),
    ("POST", INC, declaring(title="x" * 201), 422, "title"),
    ("POST", INC, declaring(title="   "), 422, "title"),
    ("POST", INC, declaring(summary="x" * 10_001), 422, "summary"),
    ("POST", INC, declaring(colour="red"), 422, "colour"),
    ("POST", INC, declaring(status="resolved"), 422, "status"),
    ("POST", INC, declaring(severity="apocalyptic"), 422, "severity"),
    ("POST", INC, declaring(severity=[1]), 422, "severity"),
    ("POST", INC, declaring(severity=99), 422, "severity"),
    ("POST", INC, declaring(components=["Nope"]), 404, "components"),
    ("POST", INC, declaring(components="API"), 422, "components"),
    ("POST", INC, declaring(components=[{"name": "API"}]), 422, "components.0"),
    ("POST", INC, declaring(criteria=["gut_feeling"]), 422, "criteria"),
    ("POST", INC, declaring(criteria=[]), 422, "criteria"),
    ("POST", INC, declaring(criteria="security"), 422, "criteria"),
    ("POST", INC, declaring(started_at=HOUR_AGO, detected_at=TWO_HOURS_AGO), 422, "detected_at"),
    ("POST", INC, declaring(started_at="2026-01-01T10:00:00"), 422, "started_at"),
    ("POST", INC, declaring(started_at="yesterday"), 422, "started_at"),
    ("POST", INC, declaring(detected_at=TOMORROW), 422, "detected_at"),
    ("POST", INC, declaring(resolved_at=HOUR_AGO), 422, "resolved_at"),
    ("POST", INC, declaring(kind="retrospective", started_at=HOUR_AGO), 422, "resolved_at"),
    ("POST", INC, declaring(kind="hypothetical"), 422, "kind"),
    ("POST", INC, declaring(detection="psychic"), 422, "detection"),
    ("POST", INC, declaring(report_medium="pigeon"), 422, "report_medium"),
    ("POST", INC, declaring(users_affected_count=-1), 422, "users_affected_count"),
    ("POST", INC, declaring(users_affected_count="many"), 422, "users_affected_count"),
    ("POST", INC, declaring(users_affected_count=10**12), 422, "users_affected_count"),
    ("POST", INC, declaring(tracker_url="ftp://example.com/x"), 422, "tracker_url"),
    ("POST", INC, declaring(fix_change_urls=["not a url"]), 422, "fix_change_urls"),
    ("POST", INC, declaring(security="maybe"), 422, "security"),
    # NUL characters: PostgreSQL cannot store or even compare them
    ("POST", INC, declaring(title="a\x00b"), 422, "title"),
    ("POST", INC, declaring(components=["\x00"]), 422, "components"),
    ("POST", INC, declaring(criteria=["security", "\x00"]), 422, "criteria"),
    ("PATCH", "/incidents/{ref}", {"summary": "\x00"}, 422, "summary"),
    ("POST", "/incidents/{ref}/commands", {"text": "lead \x00"}, 422, "text"),
    ("POST", "/incidents/{ref}/roles", {"role": "lead", "person": "\x00"}, 422, "person"),
    ("DELETE", "/incidents/{ref}/roles/lead?person=%00", None, 422, "person"),
    ("POST", "/tokens", {"name": "\x00"}, 422, "name"),
    # PATCH /incidents/{ref}
    ("PATCH", "/incidents/INC-1999-0001", {"summary": "x"}, 404, "reference"),
    ("PATCH", "/incidents/{ref}", "{not json", 400, "body"),
    ("PATCH", "/incidents/{ref}", {"status": "resolved"}, 422, "status"),
    ("PATCH", "/incidents/{ref}", {"title": ""}, 422, "title"),
    ("PATCH", "/incidents/{ref}", {"title": None}, 422, "title"),
    ("PATCH", "/incidents/{ref}", {"title": "x" * 201}, 422, "title"),
    ("PATCH", "/incidents/{ref}", {"impact": "x" * 10_001}, 422, "impact"),
    ("PATCH", "/incidents/{ref}", {"severity": "nope"}, 422, "severity"),
    ("PATCH", "/incidents/{ref}", {"criteria": []}, 422, "criteria"),
    ("PATCH", "/incidents/{ref}", {"declared_at": None}, 422, "declared_at"),
    ("PATCH", "/incidents/{ref}", {"started_at": TOMORROW}, 422, "started_at"),
    ("PATCH", "/incidents/{ref}", {"components": ["ghost"]}, 404, "components"),
    ("PATCH", "/incidents/{ref}", {"closed_at": TWO_HOURS_AGO}, 422, "closed_at"),
    # POST /incidents/{ref}/status
    ("POST", "/incidents/{ref}/status", {"status": "closed"}, 409, "status"),
    ("POST", "/incidents/{ref}/status", {"status": "investigating"}, 409, "status"),
    ("POST", "/incidents/{ref}/status", {"status": "bogus"}, 422, "status"),
    ("POST", "/incidents/{ref}/status", {"status": 3}, 422, "status"),
    ("POST", "/incidents/{ref}/status", {}, 422, "status"),
    ("POST", "/incidents/{ref}/status", {"status": "blocked"}, 422, "reason"),
    ("POST", "/incidents/{ref}/status", {"status": "blocked", "reason": "x" * 2001}, 422, "reason"),
    (
        "POST",
        "/incidents/{ref}/status",
        {"status": "blocked", "reason": "v", "blocked_until": "soon"},
        422,
        "blocked_until",
    ),
    ("POST", "/incidents/{ref}/status", {"status": "resolved", "extra": 1}, 422, "extra"),
    ("POST", "/incidents/INC-1999-0001/status", {"status": "resolved"}, 404, "reference"),
    # POST /incidents/{ref}/commands
    ("POST", "/incidents/{ref}/commands", {"text": "dance"}, 422, "text"),
    ("POST", "/incidents/{ref}/commands", {"text": ""}, 422, "text"),
    ("POST", "/incidents/{ref}/commands", {"text": 5}, 422, "text"),
    ("POST", "/incidents/{ref}/commands", {"text": "note " + "x" * 20_001}, 422, "text"),
    ("POST", "/incidents/{ref}/commands", {"cmd": "note hi"}, 422, "text"),
    ("POST", "/incidents/{ref}/commands", {"text": "note hi", "cmd": "x"}, 422, "cmd"),
    ("POST", "/incidents/{ref}/commands", {"text": "sev nope"}, 422, "severity"),
    ("POST", "/incidents/{ref}/commands", {"text": "lead ghost"}, 404, "person"),
    ("POST", "/incidents/{ref}/commands", {"text": "status closed"}, 409, "status"),
    ("POST", "/incidents/{ref}/commands", {"text": "summary " + "x" * 10_001}, 422, "summary"),
    # POST /incidents/{ref}/timeline
    ("POST", TL, {"kind": "status_change", "body": "x"}, 422, "kind"),
    ("POST", TL, {"body": ""}, 422, "body"),
    ("POST", TL, {}, 422, "body"),
    ("POST", TL, {"body": "x" * 20_001}, 422, "body"),
    ("POST", TL, {"body": "x", "occurred_at": TOMORROW}, 422, "occurred_at"),
    ("POST", TL, {"body": "x", "occurred_at": "2026-01-01T10:00:00"}, 422, "occurred_at"),
    ("POST", TL, {"body": "x", "visibility": "world"}, 422, "visibility"),
    ("POST", TL, {"body": "x", "pinned": "very"}, 422, "pinned"),
    ("POST", TL, {"body": "x", "author": "me"}, 422, "author"),
    ("POST", "/incidents/INC-1999-0001/timeline", {"body": "x"}, 404, "reference"),
    # PATCH /incidents/{ref}/timeline/{entry}
    ("PATCH", TL + "/{entry}", {"body": ""}, 422, "body"),
    ("PATCH", TL + "/{entry}", {"body": "x" * 20_001}, 422, "body"),
    ("PATCH", TL + "/{entry}", {"pinned": "x"}, 422, "pinned"),
    ("PATCH", TL + "/{entry}", {"kind": "decision"}, 422, "kind"),
    ("PATCH", TL + "/999999", {"body": "x"}, 404, "entry"),
    ("PATCH", TL + "/99999999999999999999999", {"body": "x"}, 404, "entry"),
    ("PATCH", TL + "/abc", {"body": "x"}, 422, "entry_id"),
    # POST/DELETE /incidents/{ref}/roles
    ("POST", "/incidents/{ref}/roles", {"role": "captain", "person": "rita"}, 422, "role"),
    ("POST", "/incidents/{ref}/roles", {"role": "lead", "person": "ghost"}, 404, "person"),
    ("POST", "/incidents/{ref}/roles", {"role": "lead", "person": ""}, 422, "person"),
    ("POST", "/incidents/{ref}/roles", {"role": "lead"}, 422, "person"),
    ("POST", "/incidents/{ref}/roles", {"role": "reporter", "person": "rita"}, 409, "person"),
    ("DELETE", "/incidents/{ref}/roles/captain", None, 422, "role"),
    ("DELETE", "/incidents/{ref}/roles/lead?person=ghost", None, 404, "person"),
    ("DELETE", "/incidents/{ref}/roles/lead", None, 409, "role"),
    # POST /incidents/{ref}/actions
    ("POST", "/incidents/{ref}/actions", {"title": ""}, 422, "title"),
    ("POST", "/incidents/{ref}/actions", {"title": "x" * 201}, 422, "title"),
    (
        "POST",
        "/incidents/{ref}/actions",
        {"title": "x", "description": "x" * 10_001},
        422,
        "description",
    ),
    ("POST", "/incidents/{ref}/actions", {"title": "x", "phase": "later"}, 422, "phase"),
    ("POST", "/incidents/{ref}/actions", {"title": "x", "owner": "ghost"}, 404, "owner"),
    ("POST", "/incidents/{ref}/actions", {"title": "x", "due_date": "tomorrow"}, 422, "due_date"),
    (
        "POST",
        "/incidents/{ref}/actions",
        {"title": "x", "status": "wont_do"},
        422,
        "wont_do_reason",
    ),
    (
        "POST",
        "/incidents/{ref}/actions",
        {"title": "x", "external_url": "nope"},
        422,
        "external_url",
    ),
    ("POST", "/incidents/{ref}/actions", {"title": "x", "incident": "INC-1"}, 422, "incident"),
    # PATCH /actions/{action}
    ("PATCH", "/actions/{action}", {"status": "finished"}, 422, "status"),
    ("PATCH", "/actions/{action}", {"status": "wont_do"}, 422, "wont_do_reason"),
    ("PATCH", "/actions/{action}", {"title": None}, 422, "title"),
    ("PATCH", "/actions/{action}", {"priority": 1}, 422, "priority"),
    ("PATCH", "/actions/999999", {"status": "done"}, 404, "action"),
    # components
    ("POST", "/components", {"name": ""}, 422, "name"),
    ("POST", "/components", {"name": "x" * 101}, 422, "name"),
    ("POST", "/components", {"description": "x"}, 422, "name"),
    ("POST", "/components", {"name": "A", "description": "x" * 301}, 422, "description"),
    ("POST", "/components", {"name": "A", "group": "ghost"}, 404, "group"),
    ("POST", "/components", {"name": "A", "position": "first"}, 422, "position"),
    ("POST", "/components", {"name": "A", "position": -1}, 422, "position"),
    ("POST", "/components", {"name": "A", "position": 10**12}, 422, "position"),
    ("POST", "/components", {"name": "Web"}, 422, "name"),
    ("PATCH", "/components/{component}", {"name": "Web", "group": "Web"}, 422, "group"),
    ("PATCH", "/components/999999", {"name": "X"}, 404, "components"),
    # severities
    ("POST", "/severities", {"key": "bad key!"}, 422, "key"),
    ("POST", "/severities", {"key": "critical"}, 422, "key"),
    ("POST", "/severities", {"key": "x" * 33}, 422, "key"),
    ("POST", "/severities", {"key": "x", "name": "y" * 65}, 422, "name"),
    ("POST", "/severities", {"key": "x", "aliases": "y" * 201}, 422, "aliases"),
    ("POST", "/severities", {"key": "x", "description": "y" * 301}, 422, "description"),
    ("POST", "/severities", {"key": "x", "position": 0}, 422, "position"),
    ("POST", "/severities", {"key": "x", "position": 10**6}, 422, "position"),
    ("POST", "/severities", {"key": "x", "action_due_days": 10**9}, 422, "action_due_days"),
    (
        "POST",
        "/severities",
        {"key": "x", "reminder_interval_minutes": "often"},
        422,
        "reminder_interval_minutes",
    ),
    ("POST", "/severities", {"key": "x", "pages": "sometimes"}, 422, "pages"),
    ("POST", "/severities", {"name": "x"}, 422, "key"),
    ("PATCH", "/severities/nope", {"key": "nope", "name": "N"}, 404, "severity"),
    ("PATCH", "/severities/major", {"key": "major", "position": 1}, 422, "position"),
    # tokens
    ("POST", "/tokens", {"name": ""}, 422, "name"),
    ("POST", "/tokens", {"name": "x" * 101}, 422, "name"),
    ("POST", "/tokens", {"name": "x", "scope": "admin"}, 422, "scope"),
    ("POST", "/tokens", {"name": "x", "user": "boss"}, 422, "user"),
    ("POST", "/tokens", '{"name": "x",}', 400, "body"),
    ("DELETE", "/tokens/999999", None, 404, "token"),
]


@pytest.fixture
def targets(declare, admin, make_user):
    make_user(username="rita2")
    incident = declare(title="Target", severity="major")
    entry = timeline_entry_add(
        actor=admin, source=ActionSource.WEB, incident=incident, kind="note", body="note"
    )
    action = action_item_create(
        actor=admin, source=ActionSource.WEB, incident=incident, title="Fix"
    )
    component = ComponentFactory(name="Web")
    return {
        "ref": incident.reference,
        "entry": entry.pk,
        "action": action.pk,
        "component": component.pk,
    }


def case_id(case):
    method, path, body, status, field = case
    return f"{method} {path} -> {status} {field}"


@pytest.mark.parametrize("case", CASES, ids=[case_id(c) for c in CASES])
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(boss, targets, db_state, case):
    method, path, body, status, field = case
    path = path.format(**targets)
    before = db_state()
    if isinstance(body, str):
        response = boss.call(method, path, raw=body)
    else:
        response = boss.call(method, path, body)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    detail = response.json_body["detail"]
    assert isinstance(detail, str) and detail
    assert field in detail, detail
    assert response.json_body["field"] == field
    assert db_state() == before

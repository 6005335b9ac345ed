"""Every JSON body takes booleans and numbers only as their JSON type (a `1` for a boolean or a
`"5"` for a number used to be read as one), while times and dates still parse from ISO text.
The fields are read from the OpenAPI description, so a new body is covered without being
listed here."""

import json

import pytest

from tests.openapi import PATH_VALUES, member_types, resolve, write_operations

NOT_BOOLEANS = [0, 1, "true", "false", "yes", "", [True], {"value": True}]
NOT_INTEGERS = [True, False, 5.0, 5.5, "5", "", [5]]
NOT_TIMES = [0, 1767225600, 1767225600.5, True]
ISO_TEXT = {"date": "2026-05-01", "date-time": "2026-05-01T10:00:00+00:00"}


def typed_fields():
    """(operation, field, JSON kinds it allows, the formats its text takes) for every field
    of every JSON body; an array field stands for its items."""
    found = []
    for op in write_operations():
        body = op.body_schema()
        if body is None:
            continue
        for name, prop in resolve(body).get("properties", {}).items():
            members = member_types(prop)
            array = [m for m in members if m.get("type") == "array"]
            if array and len(array) == len(members):
                members = [t for m in array for t in member_types(m.get("items", {}))]
                found.append((op, name, members, True))
            else:
                found.append((op, name, members, False))
    return found


def kinds(members) -> set[str]:
    return {m.get("type", "object") for m in members}


def formats(members) -> set[str]:
    return {m["format"] for m in members if m.get("format") in ISO_TEXT}


def wrong_values(members) -> list:
    allowed = kinds(members)
    if allowed == {"boolean"}:
        return NOT_BOOLEANS
    if "integer" in allowed and "boolean" not in allowed:
        return [v for v in NOT_INTEGERS if not (isinstance(v, str) and "string" in allowed)]
    if formats(members) and allowed == {"string"}:
        return NOT_TIMES
    return []


def send(client, op, body: dict):
    path = f"/api/v1{op.url(PATH_VALUES)}"
    response = getattr(client, op.method)(path, json.dumps(body), content_type="application/json")
    return response.status_code, response.json()


def fields_refused(payload) -> set[str]:
    return {e["field"].split(".")[0] for e in payload.get("errors", [])}


def test_the_bodies_have_booleans_integers_and_times_to_check():
    checked = [(str(op), name) for op, name, members, _ in typed_fields() if wrong_values(members)]
    names = {name for _, name in checked}
    assert {"security", "pinned", "users_affected_count", "started_at", "due_date"} <= names
    assert {"response_rating", "notify", "active", "scheduled_for", "position"} <= names
    assert len(checked) > 40


def test_a_value_of_the_wrong_json_type_is_a_422_naming_its_field(boss):
    misread = []
    for op, name, members, is_array in typed_fields():
        for value in wrong_values(members):
            status, payload = send(boss, op, {name: [value] if is_array else value})
            if status != 422 or name not in fields_refused(payload):
                misread.append(f"{op} {name}={value!r}: {status} {payload.get('detail')}")
    assert not misread, "\n".join(misread)


def test_times_and_dates_still_parse_from_iso_text(boss):
    refused = []
    for op, name, members, _ in typed_fields():
        for fmt in formats(members):
            status, payload = send(boss, op, {name: ISO_TEXT[fmt]})
            if name in fields_refused(payload):
                refused.append(f"{op} {name}={ISO_TEXT[fmt]!r}: {payload['detail']}")
    assert not refused, "\n".join(refused)


@pytest.mark.parametrize(
    ("field", "value"),
    [("security", 1), ("security", "true"), ("users_affected_count", "5")],
)
def test_a_refused_value_changes_nothing(boss, incident, field, value):
    before = boss.call("GET", f"/incidents/{incident.reference}").json_body
    response = boss.call("PATCH", f"/incidents/{incident.reference}", {field: value})
    assert response.status_code == 422
    assert response.json_body["field"] == field
    assert boss.call("GET", f"/incidents/{incident.reference}").json_body == before


def test_severity_given_as_true_is_refused_rather_than_read_as_level_one(boss):
    body = {"title": "x", "severity": True, "criteria": ["security"]}
    response = boss.call("POST", "/incidents", body)
    assert response.status_code == 422
    assert response.json_body["field"] == "severity"


def test_json_typed_values_are_taken(boss, incident):
    body = {"security": True, "users_affected_count": 5}
    response = boss.call("PATCH", f"/incidents/{incident.reference}", body)
    assert response.status_code == 200, response.json_body
    assert response.json_body["security"] is True
    assert response.json_body["users_affected_count"] == 5

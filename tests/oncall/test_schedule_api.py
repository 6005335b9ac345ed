"""Schedules through the JSON API: create with layers, read, edit, delete, layers and
overrides, who is on call at a time and in every schedule now; bad input is a 4xx naming the
field, and only managers write."""

from datetime import UTC, timedelta

import pytest
from django.utils import timezone

from incidentdesk.oncall.models import Layer, Override, Schedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LAYER = {"people": ["ana", "ben"], "rotation_start": "2026-03-25", "handoff_time": "09:00"}


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


@pytest.fixture
def mike(api_client, manager):
    return api_client(manager)


@pytest.fixture
def berlin(mike, crew):
    response = mike.call(
        "post",
        "/schedules",
        {"name": "Primary", "time_zone": "Europe/Berlin", "layers": [LAYER]},
    )
    assert response.status_code == 201, response.json_body
    return response.json_body


def test_a_schedule_is_created_with_its_layers_and_read_back(mike, berlin):
    assert berlin["name"] == "Primary"
    assert berlin["layers"] == [
        {
            "id": Layer.objects.get().pk,
            "position": 1,
            "name": "",
            "people": ["ana", "ben"],
            "rotation_start": "2026-03-25",
            "handoff_time": "09:00",
            "rotation_length": 1,
            "rotation_unit": "days",
            "restrictions": [],
        }
    ]
    assert mike.call("get", f"/schedules/{berlin['id']}").json_body == berlin | {
        "on_call": mike.call("get", f"/schedules/{berlin['id']}").json_body["on_call"]
    }
    assert [s["name"] for s in mike.call("get", "/schedules").json_body] == ["Primary"]


@pytest.mark.parametrize(
    ("at", "who", "until"),
    [
        # 09:00 on 29 March in Berlin is 07:00 UTC (summer time since 01:00 UTC).
        ("2026-03-29T06:59:00Z", "ben", "2026-03-29T07:00:00Z"),
        ("2026-03-29T09:00:00+02:00", "ana", "2026-03-30T07:00:00Z"),
        ("2026-03-28T09:00:00+01:00", "ben", "2026-03-29T07:00:00Z"),
    ],
)
def test_who_is_on_call_at_a_time_and_until_when(mike, berlin, at, who, until):
    response = mike.call("get", f"/schedules/{berlin['id']}/on-call?at={at.replace('+', '%2B')}")
    assert response.status_code == 200, response.json_body
    (entry,) = response.json_body["on_call"]
    assert (entry["user"], entry["until"].replace("+00:00", "Z")) == (who, until)


def test_every_schedule_says_who_is_on_call_now(mike, berlin, crew):
    mike.call("post", "/schedules", {"name": "Empty", "time_zone": "UTC"})
    found = {e["schedule"]["name"]: e["on_call"] for e in mike.call("get", "/on-call").json_body}
    assert found["Empty"] == []
    assert [p["user"] for p in found["Primary"]] in (["ana"], ["ben"])


def test_a_viewer_reads_schedules_but_may_not_write_them(api_client, viewer, berlin):
    client = api_client(viewer, scope="read")
    assert client.call("get", f"/schedules/{berlin['id']}/on-call").status_code == 200
    response = client.call("patch", f"/schedules/{berlin['id']}", {"name": "Mine"})
    assert response.status_code == 403
    assert Schedule.objects.get().name == "Primary"


def test_a_schedule_is_renamed_and_deleted(mike, berlin):
    response = mike.call("patch", f"/schedules/{berlin['id']}", {"name": "Core"})
    assert response.json_body["name"] == "Core"
    assert mike.call("delete", f"/schedules/{berlin['id']}").status_code == 204
    assert mike.call("get", f"/schedules/{berlin['id']}").status_code == 404
    assert not Layer.objects.exists()


def test_layers_are_added_moved_edited_and_removed(mike, berlin, crew):
    base = f"/schedules/{berlin['id']}/layers"
    response = mike.call("post", base, {**LAYER, "people": ["cat"]})
    assert response.status_code == 201, response.json_body
    top = response.json_body
    assert top["position"] == 2
    low = berlin["layers"][0]["id"]
    moved = mike.call("patch", f"{base}/{low}", {"position": 2})
    assert moved.json_body["position"] == 2
    assert Layer.objects.get(pk=top["id"]).position == 1
    edited = mike.call("patch", f"{base}/{top['id']}", {"handoff_time": "10:30"})
    assert edited.json_body["handoff_time"] == "10:30"
    assert mike.call("delete", f"{base}/{top['id']}").status_code == 204
    assert mike.call("delete", f"{base}/{top['id']}").status_code == 404


def test_overrides_are_added_and_removed_and_an_overlap_is_refused_naming_start(mike, berlin):
    base = f"/schedules/{berlin['id']}/overrides"
    start = timezone.now().astimezone(UTC).replace(microsecond=0) + timedelta(days=1)
    body = {
        "user": "cat",
        "start": start.isoformat(),
        "end": (start + timedelta(hours=4)).isoformat(),
    }
    created = mike.call("post", base, body)
    assert created.status_code == 201, created.json_body
    assert mike.call("get", f"/schedules/{berlin['id']}").json_body["overrides"][0]["user"] == "cat"
    clash = mike.call("post", base, body | {"user": "ana"})
    assert (clash.status_code, clash.json_body["field"]) == (422, "start")
    assert mike.call("delete", f"{base}/{created.json_body['id']}").status_code == 204
    assert not Override.objects.exists()


def test_the_shifts_between_two_times_are_listed(mike, berlin):
    response = mike.call(
        "get",
        f"/schedules/{berlin['id']}/shifts?start=2026-03-28T08:00:00Z&end=2026-03-30T07:00:00Z",
    )
    assert [(s["user"], s["start"], s["end"]) for s in response.json_body] == [
        ("ben", "2026-03-28T08:00:00Z", "2026-03-29T07:00:00Z"),
        ("ana", "2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/schedules", {"name": "X", "time_zone": "Mars/Base"}, "time_zone"),
        (
            "post",
            "/schedules",
            {"name": "X", "time_zone": "UTC", "layers": [{**LAYER, "people": []}]},
            "layers[0].people",
        ),
        (
            "post",
            "/schedules",
            {"name": "X", "time_zone": "UTC", "layers": [{**LAYER, "people": ["zed"]}]},
            "layers[0].people",
        ),
        (
            "post",
            "LAYERS",
            {**LAYER, "restrictions": [{"weekday": 1, "start": "10:00", "end": "08:00"}]},
            "restrictions[0].end",
        ),
        ("post", "LAYERS", {**LAYER, "people": ["ben", "ana"], "position": 1}, "position"),
        (
            "post",
            "OVERRIDES",
            {"user": "zed", "start": "2026-06-01T10:00:00Z", "end": "2026-06-01T11:00:00Z"},
            "user",
        ),
        (
            "post",
            "OVERRIDES",
            {"user": "ana", "start": "2026-06-01T10:00:00", "end": "2026-06-01T11:00:00Z"},
            "start",
        ),
        ("get", "ON_CALL?at=yesterday", None, "at"),
        ("get", "ON_CALL?at=2026-06-01T10:00:00", None, "at"),
        ("get", "SHIFTS?start=2026-06-01T10:00:00Z&end=2026-06-01T09:00:00Z", None, "end"),
        ("get", "SHIFTS?start=2026-06-01T10:00:00Z&end=2028-06-01T09:00:00Z", None, "end"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_nothing_is_stored(
    mike, berlin, method, path, body, field
):
    base = f"/schedules/{berlin['id']}"
    path = path.replace("LAYERS", f"{base}/layers").replace("OVERRIDES", f"{base}/overrides")
    path = path.replace("ON_CALL", f"{base}/on-call").replace("SHIFTS", f"{base}/shifts")
    before = (Schedule.objects.count(), Layer.objects.count(), Override.objects.count())
    response = mike.call(method, path, body)
    assert response.status_code in (400, 422), response.json_body
    assert response.json_body["field"] == field, response.json_body
    assert (Schedule.objects.count(), Layer.objects.count(), Override.objects.count()) == before


def test_an_unknown_schedule_is_a_404(mike, crew):
    assert mike.call("get", "/schedules/999/on-call").status_code == 404
    assert mike.call("post", "/schedules/999/layers", LAYER).status_code == 404


def test_a_shift_running_on_past_ninety_days_has_no_until_and_a_short_one_has(mike, crew):
    alone = {**LAYER, "people": ["cat"], "rotation_start": "2026-01-01"}
    created = mike.call(
        "post", "/schedules", {"name": "Solo", "time_zone": "UTC", "layers": [alone]}
    )
    solo = created.json_body["id"]
    (entry,) = mike.call("get", f"/schedules/{solo}/on-call").json_body["on_call"]
    assert (entry["user"], entry["until"]) == ("cat", None)
    # A fortnightly rotation: the end is found beyond the first look ahead.
    weeks = {
        **LAYER,
        "rotation_unit": "weeks",
        "rotation_length": 2,
        "rotation_start": "2026-06-01",
    }
    created = mike.call(
        "post", "/schedules", {"name": "Fortnight", "time_zone": "UTC", "layers": [weeks]}
    )
    at = "2026-06-02T00:00:00Z"
    (entry,) = mike.call("get", f"/schedules/{created.json_body['id']}/on-call?at={at}").json_body[
        "on_call"
    ]
    assert (entry["user"], entry["until"]) == ("ana", "2026-06-15T09:00:00Z")

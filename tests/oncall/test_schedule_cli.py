"""Schedules from the command line: `incidentdesk schedule …` writes them (managers, with
--as) and reads them, `incidentdesk oncall [SCHEDULE] [--at ISO]` says who is on call and until
when; bad input exits 2 naming the option."""

import json

import pytest

from incidentdesk.oncall.models import Layer, Override, Schedule
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


@pytest.fixture
def primary(cli, manager, crew):
    as_manager = ("--as", manager.username)
    assert (
        cli("schedule", "create", "Primary", "--time-zone", "Europe/Berlin", *as_manager).code == 0
    )
    run = cli(
        "schedule",
        "layer-add",
        "Primary",
        "--people",
        "ana,ben",
        "--start",
        "2026-03-25",
        "--handoff",
        "09:00",
        *as_manager,
    )
    assert run.code == 0, run.err
    return Schedule.objects.get(name="Primary")


def test_who_is_on_call_at_a_time_and_until_when_on_the_schedules_clock(cli, primary):
    run = cli("oncall", "Primary", "--at", "2026-03-29T08:59:00+02:00")
    assert run.code == 0, run.err
    assert "ben" in run.out and "2026-03-29T09:00+02:00" in run.out
    as_json = json.loads(
        cli("oncall", "primary", "--at", "2026-03-29T09:00:00+02:00", "--json").out
    )
    assert [p["user"] for p in as_json["on_call"]] == ["ana"]
    assert as_json["on_call"][0]["until"] == "2026-03-30T07:00:00Z"


def test_oncall_without_a_schedule_answers_for_every_schedule(cli, manager, primary):
    cli("schedule", "create", "Weekend", "--time-zone", "UTC", "--as", manager.username)
    run = cli("oncall", "--json")
    found = {e["schedule"]["name"]: e["on_call"] for e in json.loads(run.out)}
    assert found["Weekend"] == [] and len(found["Primary"]) == 1
    assert "nobody" in cli("oncall").out


def test_a_layer_with_office_hours_and_an_override_are_added_and_shown(cli, manager, primary, crew):
    me = ("--as", manager.username)
    run = cli(
        "schedule",
        "layer-add",
        "Primary",
        "--people",
        "cat",
        "--start",
        "2026-03-02",
        "--handoff",
        "09:00",
        "--only",
        "mon-fri 09:00-17:00",
        "--only",
        "sat 10:00-12:00",
        *me,
    )
    assert run.code == 0, run.err
    assert Layer.objects.get(position=2).restrictions[-1] == {
        "weekday": 6,
        "start": "10:00",
        "end": "12:00",
    }
    run = cli(
        "schedule",
        "override-add",
        "Primary",
        "--user",
        "cat",
        "--start",
        "2027-07-01T09:00:00+02:00",
        "--end",
        "2027-07-01T12:00:00+02:00",
        *me,
    )
    assert run.code == 0, run.err
    shown = cli("schedule", "show", "Primary").out
    assert "only Mon Tue Wed Thu Fri 09:00–17:00; Sat 10:00–12:00" in shown
    assert "override" in shown and "cat" in shown
    listed = json.loads(cli("schedule", "list", "--json").out)
    assert [len(s["layers"]) for s in listed] == [2]


def test_layers_and_overrides_are_removed_and_the_schedule_deleted(cli, manager, primary):
    me = ("--as", manager.username)
    layer = primary.layers.get()
    cli(
        "schedule",
        "override-add",
        "Primary",
        "--user",
        "cat",
        "--start",
        "2026-07-01T09:00:00Z",
        "--end",
        "2026-07-01T12:00:00Z",
        *me,
    )
    override = Override.objects.get()
    assert cli("schedule", "override-remove", "Primary", str(override.pk), *me).code == 0
    assert cli("schedule", "layer-remove", "Primary", str(layer.pk), *me).code == 0
    assert cli("schedule", "update", "Primary", "--name", "Main", *me).code == 0
    assert cli("schedule", "delete", "Main", *me).code == 0
    assert not Schedule.objects.exists()


def test_the_shifts_between_two_times_are_listed(cli, primary):
    run = cli(
        "schedule",
        "shifts",
        "Primary",
        "--start",
        "2026-03-28T08:00:00Z",
        "--end",
        "2026-03-30T07:00:00Z",
        "--json",
    )
    assert [(s["user"], s["start"]) for s in json.loads(run.out)] == [
        ("ben", "2026-03-28T08:00:00Z"),
        ("ana", "2026-03-29T07:00:00Z"),
    ]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (("schedule", "create", "X", "--time-zone", "Mars/Base"), "--time-zone"),
        (
            (
                "schedule",
                "layer-add",
                "Primary",
                "--people",
                "zed",
                "--start",
                "2026-01-01",
                "--handoff",
                "09:00",
            ),
            "--people",
        ),
        (
            (
                "schedule",
                "layer-add",
                "Primary",
                "--people",
                "ana",
                "--start",
                "January",
                "--handoff",
                "09:00",
            ),
            "--start",
        ),
        (
            (
                "schedule",
                "layer-add",
                "Primary",
                "--people",
                "cat",
                "--start",
                "2026-01-01",
                "--handoff",
                "09:00",
                "--only",
                "someday 9-5",
            ),
            "--only[0]",
        ),
        (
            (
                "schedule",
                "layer-add",
                "Primary",
                "--people",
                "cat",
                "--start",
                "2026-01-01",
                "--handoff",
                "09:00",
                "--only",
                "mon 17:00-09:00",
            ),
            "--only",
        ),
        (
            (
                "schedule",
                "override-add",
                "Primary",
                "--user",
                "ana",
                "--start",
                "2026-07-01T09:00",
                "--end",
                "2026-07-01T12:00Z",
            ),
            "--start",
        ),
        (("schedule", "delete", "Nope"), "schedule"),
    ],
)
def test_bad_input_exits_2_naming_the_option(cli, manager, primary, args, option):
    before = (Schedule.objects.count(), Layer.objects.count(), Override.objects.count())
    run = cli(*args, "--as", manager.username)
    assert run.code == 2, run.out
    assert run.err.startswith(f"error: {option}:"), run.err
    assert (Schedule.objects.count(), Layer.objects.count(), Override.objects.count()) == before


@pytest.mark.parametrize(
    "args", [("oncall", "--at", "tomorrow"), ("oncall", "--at", "2026-03-29T09:00")]
)
def test_a_time_oncall_cannot_read_exits_2_naming_at(cli, primary, args):
    run = cli(*args)
    assert (run.code, run.err.split(":")[0:2]) == (2, ["error", " --at"])


def test_a_responder_may_not_write_schedules_from_the_command_line(cli, responder, primary):
    run = cli("schedule", "delete", "Primary", "--as", responder.username)
    assert run.code == 2 and "may not" in run.err
    assert Schedule.objects.exists()

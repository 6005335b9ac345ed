"""One layer and one override made through the web, the API and the command line are stored
alike: the doors only parse, and the services decide."""

import pytest

from incidentdesk.accounts.models import User
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import Override
from incidentdesk.oncall.selectors import layer_data
from incidentdesk.oncall.services import schedule_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben")]


def by_web(client, manager, schedule):
    client.force_login(manager)
    client.post(
        f"/oncall/{schedule.pk}/layers",
        {
            "new-layer-people": "ana, ben",
            "new-layer-rotation_start": "2026-03-02",
            "new-layer-handoff_time": "09:00",
            "new-layer-rotation_length": "2",
            "new-layer-rotation_unit": "days",
            "new-layer-days": ["1", "2"],
            "new-layer-window_start": "08:00",
            "new-layer-window_end": "24:00",
        },
    )
    client.post(
        f"/oncall/{schedule.pk}/overrides",
        {
            "override-user": str(User.objects.get(username="ben").pk),
            "override-start": "2027-03-29T09:00",
            "override-end": "2027-03-29T17:00",
        },
    )


def by_api(api_client, manager, schedule):
    client = api_client(manager)
    client.call(
        "post",
        f"/schedules/{schedule.pk}/layers",
        {
            "people": ["ana", "ben"],
            "rotation_start": "2026-03-02",
            "handoff_time": "09:00",
            "rotation_length": 2,
            "restrictions": [
                {"weekday": 1, "start": "08:00", "end": "24:00"},
                {"weekday": 2, "start": "08:00", "end": "24:00"},
            ],
        },
    )
    client.call(
        "post",
        f"/schedules/{schedule.pk}/overrides",
        {"user": "ben", "start": "2027-03-29T09:00:00+02:00", "end": "2027-03-29T17:00:00+02:00"},
    )


def by_cli(cli, manager, schedule):
    me = ("--as", manager.username)
    cli(
        "schedule", "layer-add", str(schedule.pk), "--people", "ana,ben", "--start", "2026-03-02",
        "--handoff", "09:00", "--length", "2", "--only", "mon-tue 08:00-24:00", *me,
    )  # fmt: skip
    cli(
        "schedule", "override-add", str(schedule.pk), "--user", "ben",
        "--start", "2027-03-29T09:00:00+02:00", "--end", "2027-03-29T17:00:00+02:00", *me,
    )  # fmt: skip


def test_a_layer_and_an_override_are_stored_alike_through_every_door(
    client, api_client, cli, manager, crew
):
    made = {}
    for door, make in (("web", by_web), ("api", by_api), ("cli", by_cli)):
        schedule = schedule_create(
            actor=manager, source=WEB, name=f"ops {door}", time_zone="Europe/Berlin"
        )
        if door == "web":
            make(client, manager, schedule)
        elif door == "api":
            make(api_client, manager, schedule)
        else:
            make(cli, manager, schedule)
        (layer,) = schedule.layers.all()
        override = Override.objects.get(schedule=schedule)
        made[door] = (
            {k: v for k, v in layer_data(layer).items() if k != "id"},
            (override.user.username, override.start, override.end),
        )
    assert made["web"] == made["api"] == made["cli"]
    assert made["web"][0]["restrictions"][0] == {"weekday": 1, "start": "08:00", "end": "24:00"}

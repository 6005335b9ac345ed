"""The `oncall [schedule]` command of the command language: who is on call now and until
when, through the service every door runs and through the API's command door."""

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from incidentdesk.core.errors import NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.incidents.services import command_run
from incidentdesk.oncall.services import layer_add, schedule_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def primary(manager):
    for name in ("ana", "ben"):
        UserFactory(username=name)
    schedule = schedule_create(actor=manager, source=WEB, name="Primary", time_zone="Asia/Tokyo")
    # ana from yesterday 09:00 Tokyo time for a week, then ben.
    start = timezone.now().astimezone(schedule_zone()).date() - timedelta(days=1)
    layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=["ana", "ben"],
        rotation_start=start,
        handoff_time="09:00",
        rotation_length=1,
        rotation_unit="weeks",
    )
    return schedule


def schedule_zone():
    return ZoneInfo("Asia/Tokyo")


def test_oncall_says_who_is_on_call_in_each_schedule_and_until_when(
    manager, responder, incident, primary
):
    schedule_create(actor=manager, source=WEB, name="Weekend", time_zone="UTC")
    entries = TimelineEntry.objects.count()
    result = command_run(actor=responder, source=WEB, incident=incident, text="oncall")
    start = timezone.now().astimezone(schedule_zone()).date() - timedelta(days=1)
    until = (start + timedelta(days=7)).strftime("%a %d %b")
    assert result.reply.splitlines() == [
        "On call now:",
        f"Primary: ana until {until} 09:00 (Asia/Tokyo)",
        "Weekend: nobody",
    ]
    assert TimelineEntry.objects.count() == entries  # it only reads


def test_oncall_names_one_schedule_in_any_case(responder, incident, primary):
    result = command_run(actor=responder, source=WEB, incident=incident, text="ONCALL primary")
    assert result.reply.splitlines()[1].startswith("Primary: ana until")


def test_an_unknown_schedule_is_refused_naming_it(responder, incident, primary):
    with pytest.raises(NotFound) as refused:
        command_run(actor=responder, source=WEB, incident=incident, text="oncall nights")
    assert refused.value.field == "schedule"


def test_the_command_door_of_the_api_answers_it(rita, incident, primary):
    response = rita.call("post", f"/incidents/{incident.reference}/commands", {"text": "oncall"})
    assert response.status_code == 200, response.json_body
    assert "Primary: ana until" in response.json_body["reply"]

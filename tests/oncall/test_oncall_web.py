"""The schedule pages: every schedule with who is on call now, a schedule's next two weeks
(a table of days, readable without colour), its layers and overrides edited by managers only,
and "My on-call" with a person's current and next shifts."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import EscalationPolicy, EscalationStep, Layer, Override, Schedule
from incidentdesk.oncall.selectors import calendar_days
from incidentdesk.oncall.services import layer_add, schedule_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


@pytest.fixture
def primary(manager, crew):
    """ana on call all day today in Berlin, ben tomorrow (hand-off at local midnight)."""
    schedule = schedule_create(actor=manager, source=WEB, name="Primary", time_zone="Europe/Berlin")
    today = timezone.now().astimezone(BERLIN).date()
    layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=["ana", "ben"],
        rotation_start=today,
        handoff_time="00:00",
    )
    return schedule


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_schedule_list_says_who_is_on_call_now_in_each(client, viewer, primary):
    schedule_create(actor=primary.created_by, source=WEB, name="Weekend", time_zone="UTC")
    page = signed_in(client, viewer).get("/oncall/").content.decode()
    assert "Primary" in page and "Weekend" in page
    assert "<strong>ana</strong>" in page
    assert "Nobody" in page  # the empty schedule, in words
    assert "New schedule" not in page  # viewers see no form


def test_the_schedule_page_shows_two_weeks_of_days_with_names_and_hours(client, viewer, primary):
    page = signed_in(client, viewer).get(f"/oncall/{primary.pk}/").content.decode()
    assert page.count('<th scope="row" data-label="Day">') == 14
    assert "00:00–24:00</span> <strong>ana</strong>" in page
    assert "00:00–24:00</span> <strong>ben</strong>" in page
    assert "Add a layer" not in page


def test_the_calendar_cuts_each_local_day_where_the_answer_changes_across_a_clock_change(
    manager, crew
):
    schedule = schedule_create(actor=manager, source=WEB, name="ops", time_zone="Europe/Berlin")
    layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=["ana", "ben"],
        rotation_start="2026-03-27",
        handoff_time="09:00",
    )
    days = calendar_days(schedule, date(2026, 3, 28), days=3)
    assert [d.day for d in days] == [date(2026, 3, 28), date(2026, 3, 29), date(2026, 3, 30)]
    words = [[(s.start, s.end, s.people) for s in d.stretches] for d in days]
    nine = time(9)
    assert words[1] == [(time(0), nine, ["ben"]), (nine, None, ["ana"])]  # the 23-hour day
    assert words[0] == [(time(0), nine, ["ana"]), (nine, None, ["ben"])]


def test_a_manager_adds_a_layer_with_office_hours_from_the_page(client, manager, crew):
    schedule = schedule_create(actor=manager, source=WEB, name="Day", time_zone="America/New_York")
    response = signed_in(client, manager).post(
        f"/oncall/{schedule.pk}/layers",
        {
            "new-layer-people": "ana, ben",
            "new-layer-rotation_start": "2026-03-02",
            "new-layer-handoff_time": "09:00",
            "new-layer-rotation_length": "1",
            "new-layer-rotation_unit": "weeks",
            "new-layer-days": ["1", "2", "3", "4", "5"],
            "new-layer-window_start": "09:00",
            "new-layer-window_end": "17:00",
        },
    )
    assert response.status_code == 302
    layer = Layer.objects.get()
    assert (layer.people, layer.rotation_unit) == ([crew[0].pk, crew[1].pk], "weeks")
    assert layer.restrictions == [
        {"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)
    ]
    page = client.get(f"/oncall/{schedule.pk}/").content.decode()
    assert "Only Mon Tue Wed Thu Fri 09:00–17:00" in page


@pytest.mark.parametrize(
    ("changes", "error_id"),
    [
        ({"new-layer-people": ""}, "id_new-layer-people_error"),
        ({"new-layer-people": "zed"}, "id_new-layer-people_error"),
        ({"new-layer-days": ["1"]}, "id_new-layer-window_start_error"),
        ({"new-layer-handoff_time": "25:00"}, "id_new-layer-handoff_time_error"),
    ],
)
def test_a_refused_layer_is_shown_again_with_the_error_by_its_field(
    client, manager, primary, changes, error_id
):
    body = {
        "new-layer-people": "cat",
        "new-layer-rotation_start": "2026-03-02",
        "new-layer-handoff_time": "09:00",
        "new-layer-rotation_length": "1",
        "new-layer-rotation_unit": "days",
    } | changes
    response = signed_in(client, manager).post(f"/oncall/{primary.pk}/layers", body)
    assert response.status_code == 422
    assert f'id="{error_id}"' in response.content.decode()
    assert Layer.objects.count() == 1


def test_a_responder_may_not_change_a_schedule_from_the_web(client, responder, primary):
    layer = primary.layers.get()
    signed_in(client, responder)
    for path in (
        f"/oncall/{primary.pk}/layers/{layer.pk}/remove",
        f"/oncall/{primary.pk}/delete",
        f"/oncall/{primary.pk}/edit",
    ):
        assert client.post(path, {"schedule-name": "Mine"}).status_code == 403
    assert Schedule.objects.get().name == "Primary" and Layer.objects.count() == 1


def test_an_override_is_read_on_the_schedules_clock_and_removed(client, manager, primary, crew):
    signed_in(client, manager)
    response = client.post(
        f"/oncall/{primary.pk}/overrides",
        {
            "override-user": str(crew[2].pk),
            "override-start": "2026-07-01T09:00",
            "override-end": "2026-07-01T17:00",
        },
    )
    assert response.status_code == 302
    override = Override.objects.get()
    assert override.start == datetime(2026, 7, 1, 9, tzinfo=BERLIN)
    clash = client.post(
        f"/oncall/{primary.pk}/overrides",
        {
            "override-user": str(crew[1].pk),
            "override-start": "2026-07-01T12:00",
            "override-end": "2026-07-01T13:00",
        },
    )
    assert clash.status_code == 422
    assert 'id="id_override-start_error"' in clash.content.decode()
    client.post(f"/oncall/{primary.pk}/overrides/{override.pk}/remove")
    assert not Override.objects.exists()


def test_moving_a_layer_up_puts_it_above_the_next(client, manager, primary, crew):
    top = layer_add(
        actor=manager,
        source=WEB,
        schedule=primary,
        people=["cat"],
        rotation_start="2026-01-01",
        handoff_time="09:00",
    )
    low = primary.layers.exclude(pk=top.pk).get()
    signed_in(client, manager).post(
        f"/oncall/{primary.pk}/layers/{low.pk}/move", {"direction": "up"}
    )
    low.refresh_from_db()
    top.refresh_from_db()
    assert low.position > top.position


def test_a_manager_edits_a_layer_and_deletes_the_schedule(client, manager, primary, crew):
    layer = primary.layers.get()
    signed_in(client, manager)
    prefix = f"layer-{layer.pk}"
    response = client.post(
        f"/oncall/{primary.pk}/layers/{layer.pk}",
        {
            f"{prefix}-people": "cat",
            f"{prefix}-rotation_start": "2026-03-02",
            f"{prefix}-handoff_time": "08:00",
            f"{prefix}-rotation_length": "2",
            f"{prefix}-rotation_unit": "days",
        },
    )
    assert response.status_code == 302
    layer.refresh_from_db()
    assert (layer.people, layer.rotation_length) == ([crew[2].pk], 2)
    assert client.post(f"/oncall/{primary.pk}/delete").status_code == 302
    assert not Schedule.objects.exists()


def test_my_on_call_shows_my_current_and_next_shifts(client, primary, crew):
    page = signed_in(client, crew[0]).get("/oncall/me").content.decode()
    assert "You are <strong>on call</strong> for <strong>Primary</strong>" in page
    assert page.count('data-label="Schedule">Primary</td>') >= 1
    assert "/oncall/calendar/" in page
    other = signed_in(client, crew[2]).get("/oncall/me").content.decode()
    assert "You are not on call now." in other and "No shift in the next 90 days." in other


def test_the_navigation_leads_to_the_schedules_and_my_on_call(client, viewer):
    page = signed_in(client, viewer).get("/oncall/me").content.decode()
    assert '<a href="/oncall/" aria-current="page">On-call</a>' in page  # the top bar
    assert 'href="/oncall/me" aria-current="page">My on-call</a>' in page  # the tabs


def test_an_unknown_schedule_is_a_404_page(client, viewer):
    assert signed_in(client, viewer).get("/oncall/999/").status_code == 404


def test_a_new_schedule_is_created_from_the_list(client, manager):
    response = signed_in(client, manager).post(
        "/oncall/new", {"name": "Payments", "time_zone": "Asia/Tokyo"}
    )
    assert response.status_code == 302
    assert Schedule.objects.get().time_zone == "Asia/Tokyo"
    refused = client.post("/oncall/new", {"name": "Payments", "time_zone": "Asia/Tokyo"})
    assert refused.status_code == 422 and 'id="id_name_error"' in refused.content.decode()


def test_a_layer_whose_hours_differ_by_day_warns_that_the_form_gives_one_pair(
    client, manager, primary
):
    layer_add(
        actor=manager,
        source=WEB,
        schedule=primary,
        people=["cat"],
        rotation_start="2026-01-01",
        handoff_time="09:00",
        restrictions=[
            {"weekday": 1, "start": "09:00", "end": "17:00"},
            {"weekday": 6, "start": "10:00", "end": "12:00"},
        ],
    )
    page = signed_in(client, manager).get(f"/oncall/{primary.pk}/").content.decode()
    assert "Only Mon 09:00–17:00; Sat 10:00–12:00" in page
    assert page.count("hours differ from day to day") == 1


def test_deleting_a_schedule_a_policy_pages_says_why_and_keeps_it(client, manager, primary):
    policy = EscalationPolicy.objects.create(name="Default")
    EscalationStep.objects.create(policy=policy, position=1, target="schedule", schedule=primary)
    signed_in(client, manager)
    response = client.post(f"/oncall/{primary.pk}/delete", follow=True)
    assert "An escalation policy pages this schedule" in response.content.decode()
    assert Schedule.objects.filter(pk=primary.pk).exists()

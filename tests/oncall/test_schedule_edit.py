"""Editing and deleting schedules, layers and overrides, and the input those writes refuse:
empty, repeated or misplaced layers, overlapping windows and overrides, unknown people and
zones, each naming the field, with nothing stored."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall import services
from incidentdesk.oncall.models import (
    CalendarFeed,
    EscalationPolicy,
    EscalationStep,
    Layer,
    Override,
    Schedule,
)
from incidentdesk.oncall.resolution import on_call_at
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
UTC = ZoneInfo("UTC")
NOON = datetime(2026, 6, 10, 12, tzinfo=UTC)


@pytest.fixture
def manager():
    return UserFactory(username="mgr", role=Role.MANAGER)


@pytest.fixture
def crew():
    return [UserFactory(username=name) for name in ("ana", "ben", "cat")]


@pytest.fixture
def schedule(manager, crew):
    return services.schedule_create(actor=manager, source=WEB, name="ops", time_zone="UTC")


def layer(manager, schedule, people=("ana",), **extra):
    return services.layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=list(people),
        rotation_start=extra.pop("rotation_start", "2026-06-01"),
        handoff_time=extra.pop("handoff_time", "09:00"),
        **extra,
    )


def test_a_schedule_is_created_with_its_layers_in_one_go(manager, crew):
    schedule = services.schedule_create(
        actor=manager,
        source=WEB,
        name="payments",
        time_zone="Europe/Berlin",
        layers=[
            {"people": ["ana"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
            {"people": ["ben"], "rotation_start": "2026-06-05", "handoff_time": "09:00"},
        ],
    )
    assert [(lay.position, lay.people) for lay in schedule.layers.order_by("position")] == [
        (1, [crew[0].pk]),
        (2, [crew[1].pk]),
    ]


@pytest.mark.parametrize(
    ("layers", "field"),
    [
        (
            [{"people": [], "rotation_start": "2026-06-01", "handoff_time": "09:00"}],
            "layers[0].people",
        ),
        (
            [
                {"people": ["ana"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
                {"people": ["zed"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
            ],
            "layers[1].people",
        ),
        (
            [
                {"people": ["ana"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
                {"people": ["ana"], "rotation_start": "2026-06-01", "handoff_time": "09:00"},
            ],
            "layers[1].people",
        ),
        (
            [
                {
                    "people": ["ana"],
                    "rotation_start": "2026-06-01",
                    "handoff_time": "09:00",
                    "position": 4,
                },
                {
                    "people": ["ben"],
                    "rotation_start": "2026-06-01",
                    "handoff_time": "09:00",
                    "position": 4,
                },
            ],
            "layers[1].position",
        ),
        (
            [
                {
                    "people": ["ana"],
                    "rotation_start": "2026-06-01",
                    "handoff_time": "09:00",
                    "restrictions": [
                        {"weekday": 1, "start": "09:00", "end": "17:00"},
                        {"weekday": 1, "start": "16:00", "end": "24:00"},
                    ],
                }
            ],
            "layers[0].restrictions[1]",
        ),
        (
            [
                {
                    "people": ["ana"],
                    "rotation_start": "2026-06-01",
                    "handoff_time": "09:00",
                    "colour": 1,
                }
            ],
            "layers[0]",
        ),
        (["ana"], "layers[0]"),
    ],
)
def test_a_schedule_with_a_bad_layer_is_refused_naming_the_layer_and_its_field(
    manager, crew, layers, field
):
    with pytest.raises(ValidationError) as refused:
        services.schedule_create(
            actor=manager, source=WEB, name="x", time_zone="UTC", layers=layers
        )
    assert refused.value.field == field
    assert not Schedule.objects.exists() and not Layer.objects.exists()


def test_windows_that_only_meet_are_taken_and_those_on_other_days_too(manager, schedule):
    windows = [
        {"weekday": 1, "start": "09:00", "end": "12:00"},
        {"weekday": 1, "start": "12:00", "end": "17:00"},
        {"weekday": 2, "start": "10:00", "end": "11:00"},
    ]
    assert layer(manager, schedule, restrictions=windows).restrictions == windows


def test_a_schedule_is_renamed_and_moved_to_another_zone(manager, schedule):
    services.schedule_update(
        actor=manager, source=WEB, schedule=schedule, name="core", time_zone="Asia/Tokyo"
    )
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("core", "Asia/Tokyo")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"time_zone": "Asia/Atlantis"}, "time_zone"),
        ({"name": "taken"}, "name"),
        ({"name": " "}, "name"),
    ],
)
def test_a_bad_schedule_change_is_refused_naming_the_field(manager, schedule, changes, field):
    services.schedule_create(actor=manager, source=WEB, name="taken", time_zone="UTC")
    with pytest.raises(ValidationError) as refused:
        services.schedule_update(actor=manager, source=WEB, schedule=schedule, **changes)
    assert refused.value.field == field
    schedule.refresh_from_db()
    assert (schedule.name, schedule.time_zone) == ("ops", "UTC")


def test_deleting_a_schedule_takes_its_layers_overrides_and_calendar_with_it(manager, schedule):
    layer(manager, schedule)
    services.override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="ben",
        start=NOON,
        end=NOON + timedelta(hours=1),
    )
    services.calendar_feed_reset(actor=manager, source=WEB, schedule=schedule)
    services.schedule_delete(actor=manager, source=WEB, schedule=schedule)
    assert not (
        Schedule.objects.exists()
        or Layer.objects.exists()
        or Override.objects.exists()
        or CalendarFeed.objects.exists()
    )


def test_a_schedule_an_escalation_policy_pages_is_not_deleted(manager, schedule):
    policy = EscalationPolicy.objects.create(name="default")
    EscalationStep.objects.create(policy=policy, position=1, target="schedule", schedule=schedule)
    with pytest.raises(InvalidTransition) as refused:
        services.schedule_delete(actor=manager, source=WEB, schedule=schedule)
    assert refused.value.field == "schedule"
    assert Schedule.objects.filter(pk=schedule.pk).exists()


def test_a_layer_is_edited_and_the_answer_follows(manager, crew, schedule):
    lay = layer(manager, schedule)
    assert on_call_at(schedule, NOON) == [crew[0]]
    services.layer_update(
        actor=manager, source=WEB, layer=lay, people=["cat"], handoff_time="13:00"
    )
    lay.refresh_from_db()
    assert (lay.people, lay.handoff_time.hour) == ([crew[2].pk], 13)
    assert on_call_at(schedule, NOON) == [crew[2]]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"people": []}, "people"),
        ({"people": ["nobody"]}, "people"),
        ({"rotation_length": 0}, "rotation_length"),
        (
            {"restrictions": [{"weekday": 3, "start": "10:00", "end": "09:00"}]},
            "restrictions[0].end",
        ),
        ({"people": ["ben"]}, "people"),  # now the same as layer 2
        ({"position": -1}, "position"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_bad_layer_change_is_refused_naming_the_field(manager, crew, schedule, changes, field):
    first = layer(manager, schedule)
    layer(manager, schedule, people=["ben"])
    with pytest.raises(ValidationError) as refused:
        services.layer_update(actor=manager, source=WEB, layer=first, **changes)
    assert refused.value.field == field
    first.refresh_from_db()
    assert first.people == [crew[0].pk]


def test_moving_a_layer_onto_anothers_position_swaps_them(manager, crew, schedule):
    low, high = layer(manager, schedule), layer(manager, schedule, people=["ben"])
    assert on_call_at(schedule, NOON) == [crew[1]]
    services.layer_update(actor=manager, source=WEB, layer=low, position=high.position)
    assert sorted(schedule.layers.values_list("people", "position")) == [
        ([crew[0].pk], 2),
        ([crew[1].pk], 1),
    ]
    assert on_call_at(schedule, NOON) == [crew[0]]


def test_removing_a_layer_lets_the_one_below_answer(manager, crew, schedule):
    layer(manager, schedule)
    top = layer(manager, schedule, people=["ben"])
    services.layer_remove(actor=manager, source=WEB, layer=top)
    assert on_call_at(schedule, NOON) == [crew[0]]


def test_an_override_overlapping_another_of_the_schedule_is_refused_naming_start(
    manager, crew, schedule
):
    services.override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="ana",
        start=NOON,
        end=NOON + timedelta(hours=2),
    )
    with pytest.raises(ValidationError) as refused:
        services.override_add(
            actor=manager,
            source=WEB,
            schedule=schedule,
            user="ben",
            start=NOON + timedelta(hours=1),
            end=NOON + timedelta(hours=3),
        )
    assert refused.value.field == "start"
    # Meeting end to start is not an overlap, nor is another schedule's override.
    services.override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="ben",
        start=NOON + timedelta(hours=2),
        end=NOON + timedelta(hours=3),
    )
    other = services.schedule_create(actor=manager, source=WEB, name="other", time_zone="UTC")
    services.override_add(
        actor=manager,
        source=WEB,
        schedule=other,
        user="cat",
        start=NOON,
        end=NOON + timedelta(hours=2),
    )
    assert Override.objects.count() == 3


def test_removing_an_override_gives_its_span_back_to_the_layers(manager, crew, schedule):
    layer(manager, schedule)
    override = services.override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="ben",
        start=NOON,
        end=NOON + timedelta(hours=2),
    )
    assert on_call_at(schedule, NOON) == [crew[1]]
    services.override_remove(actor=manager, source=WEB, override=override)
    assert on_call_at(schedule, NOON) == [crew[0]]


def test_a_responder_may_not_edit_or_delete_schedules(manager, crew, schedule):
    lay = layer(manager, schedule)
    responder = UserFactory(role=Role.RESPONDER)
    for write in (
        lambda: services.schedule_update(
            actor=responder, source=WEB, schedule=schedule, name="mine"
        ),
        lambda: services.schedule_delete(actor=responder, source=WEB, schedule=schedule),
        lambda: services.layer_update(actor=responder, source=WEB, layer=lay, people=["ben"]),
        lambda: services.layer_remove(actor=responder, source=WEB, layer=lay),
    ):
        with pytest.raises(PermissionDenied):
            write()
    assert Layer.objects.get().people == [crew[0].pk]


def test_a_person_resets_their_own_calendar_url_but_not_anothers(crew):
    feed = services.calendar_feed_reset(actor=crew[0], source=WEB, user=crew[0])
    again = services.calendar_feed_reset(actor=crew[0], source=WEB, user=crew[0])
    assert (feed.pk, again.generation) == (again.pk, feed.generation + 1)
    with pytest.raises(PermissionDenied):
        services.calendar_feed_reset(actor=crew[1], source=WEB, user=crew[0])

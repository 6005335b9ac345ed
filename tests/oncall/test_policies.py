"""Escalation policies: ordered steps kept as given, refused input naming the field (zero
steps, unknown people, schedules and policies, waits and repeats out of range, handover
loops), one default, who may write them, and what deleting one may not break."""

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import EscalationPolicy
from incidentdesk.oncall.page_selectors import policy_data
from incidentdesk.oncall.policies import plan_of, policy_create, policy_delete, policy_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def test_a_policy_keeps_its_steps_in_order_by_person_schedule_and_everyone(
    make_policy, crew, primary
):
    policy = make_policy(
        [
            {"target": "person", "person": "ada", "wait_minutes": 5},
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 10},
            {"target": "schedule_all", "schedule": primary.pk, "wait_minutes": 0},
        ],
        repeat=2,
        description="Checkout on-call",
    )
    data = policy_data(policy)
    assert data["repeat"] == 2 and data["description"] == "Checkout on-call"
    assert data["steps"] == [
        {"position": 1, "target": "person", "person": "ada", "wait_minutes": 5},
        {"position": 2, "target": "schedule", "schedule": "Primary", "wait_minutes": 10},
        {"position": 3, "target": "schedule_all", "schedule": "Primary", "wait_minutes": 0},
    ]


@pytest.mark.parametrize(
    ("steps", "field"),
    [
        ([], "steps"),
        ("ada", "steps"),
        ([{"target": "person", "person": "ada"}, {"target": "person", "person": "nobody"}],
         "steps[1].person"),
        ([{"target": "schedule", "schedule": "No such"}], "steps[0].schedule"),
        ([{"target": "schedule_all"}], "steps[0].schedule"),
        ([{"target": "policy", "policy": "Missing"}], "steps[0].policy"),
        ([{"target": "team", "person": "ada"}], "steps[0].target"),
        ([{"target": "person", "person": "ada", "wait_minutes": -1}], "steps[0].wait_minutes"),
        ([{"target": "person", "person": "ada", "wait_minutes": 1441}], "steps[0].wait_minutes"),
        ([{"target": "person", "person": "ada", "wait_minutes": "5"}], "steps[0].wait_minutes"),
        (["ada"], "steps[0]"),
    ],
)  # fmt: skip
def test_bad_steps_are_refused_naming_the_field_and_nothing_is_stored(
    make_policy, crew, primary, steps, field
):
    with pytest.raises(ValidationError) as refused:
        make_policy(steps)
    assert refused.value.field == field
    assert not EscalationPolicy.objects.exists()


@pytest.mark.parametrize("repeat", [-1, 10, True, "2"])
def test_a_repeat_out_of_0_to_9_is_refused(make_policy, crew, repeat):
    with pytest.raises(ValidationError) as refused:
        make_policy([{"target": "person", "person": "ada"}], repeat=repeat)
    assert refused.value.field == "repeat"


def test_a_deactivated_person_cannot_be_a_step(make_policy, crew):
    crew["bob"].is_active = False
    crew["bob"].save()
    with pytest.raises(ValidationError) as refused:
        make_policy([{"target": "person", "person": crew["bob"].pk}])
    assert refused.value.field == "steps[0].person"


def test_a_policy_reaching_itself_through_handovers_is_refused(make_policy, chief, crew):
    first = make_policy([{"target": "person", "person": "ada"}], name="First")
    second = make_policy([{"target": "policy", "policy": "First"}], name="Second")
    third = make_policy([{"target": "policy", "policy": second.pk}], name="Third")
    with pytest.raises(ValidationError) as refused:
        policy_update(
            actor=chief,
            source=WEB,
            policy=first,
            steps=[
                {"target": "person", "person": "ada"},
                {"target": "policy", "policy": third},
            ],
        )
    assert refused.value.field == "steps[1].policy"
    assert "leads back" in refused.value.message
    with pytest.raises(ValidationError) as itself:
        policy_update(
            actor=chief, source=WEB, policy=first, steps=[{"target": "policy", "policy": "First"}]
        )
    assert itself.value.field == "steps[0].policy"
    assert [s["target"] for s in policy_data(first)["steps"]] == ["person"]


def test_a_page_plan_expands_handovers_into_the_steps_they_lead_to(make_policy, crew, primary):
    make_policy(
        [
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 3},
            {"target": "person", "person": "bob", "wait_minutes": 7},
        ],
        name="Backend",
    )
    policy = make_policy(
        [
            {"target": "person", "person": "ada", "wait_minutes": 1},
            {"target": "policy", "policy": "Backend"},
        ],
        name="Front",
    )
    assert plan_of(policy) == [
        {"target": "person", "user": crew["ada"].pk, "name": "ada", "wait_minutes": 1},
        {"target": "schedule", "schedule": primary.pk, "name": "Primary", "wait_minutes": 3},
        {"target": "person", "user": crew["bob"].pk, "name": "bob", "wait_minutes": 7},
    ]


def test_one_policy_is_the_default_at_a_time(make_policy, chief, crew):
    first = make_policy([{"target": "person", "person": "ada"}], name="First", is_default=True)
    second = make_policy([{"target": "person", "person": "bob"}], name="Second", is_default=True)
    first.refresh_from_db()
    assert (first.is_default, second.is_default) == (False, True)
    policy_update(actor=chief, source=WEB, policy=first, is_default=True)
    second.refresh_from_db()
    assert list(EscalationPolicy.objects.filter(is_default=True)) == [first]
    assert not second.is_default


def test_an_update_changes_only_what_it_is_given(make_policy, chief, crew):
    policy = make_policy([{"target": "person", "person": "ada"}], repeat=1)
    policy_update(actor=chief, source=WEB, policy=policy, name="Ops renamed")
    data = policy_data(EscalationPolicy.objects.get(pk=policy.pk))
    assert (data["name"], data["repeat"], len(data["steps"])) == ("Ops renamed", 1, 1)
    with pytest.raises(ValidationError) as refused:
        make_policy([{"target": "person", "person": "ada"}], name="Ops renamed")
    assert refused.value.field == "name"


def test_responders_may_not_write_policies_and_managers_may(crew):
    responder = UserFactory(role=Role.RESPONDER)
    with pytest.raises(PermissionDenied):
        policy_create(
            actor=responder, source=WEB, name="Mine", steps=[{"target": "person", "person": "ada"}]
        )
    manager = UserFactory(role=Role.MANAGER)
    policy = policy_create(
        actor=manager, source=WEB, name="Mine", steps=[{"target": "person", "person": "ada"}]
    )
    with pytest.raises(PermissionDenied):
        policy_delete(actor=responder, source=WEB, policy=policy)


def test_a_policy_another_hands_over_to_cannot_be_deleted_until_that_changes(
    make_policy, chief, crew
):
    backend = make_policy([{"target": "person", "person": "ada"}], name="Backend")
    front = make_policy([{"target": "policy", "policy": "Backend"}], name="Front")
    with pytest.raises(InvalidTransition) as refused:
        policy_delete(actor=chief, source=WEB, policy=backend)
    assert refused.value.field == "policy" and "Front" in refused.value.message
    policy_update(
        actor=chief, source=WEB, policy=front, steps=[{"target": "person", "person": "bob"}]
    )
    policy_delete(actor=chief, source=WEB, policy=backend)
    assert not EscalationPolicy.objects.filter(name="Backend").exists()


def test_a_policy_a_route_pages_by_cannot_be_deleted(make_policy, chief, crew):
    from incidentdesk.alerts.models import Route

    policy = make_policy([{"target": "person", "person": "ada"}], name="Routed")
    Route.objects.create(name="disk full", pages=True, policy=policy)
    with pytest.raises(InvalidTransition) as refused:
        policy_delete(actor=chief, source=WEB, policy=policy)
    assert refused.value.field == "policy" and "disk full" in refused.value.message
    assert EscalationPolicy.objects.filter(pk=policy.pk).exists()

"""Pages escalate step by step through their plan, with the database as the only state: the
first step at once, each next one when its wait is over, a step with nobody to notify skipped
at once, and an outcome in words (and a mail to admins) when nobody acknowledges. Time is
driven by `escalations_advance(now=…)`, never by sleeping."""

from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone

from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import live
from incidentdesk.notifications.models import Delivery, OutboxEvent
from incidentdesk.oncall.models import ContactMethod, Page, PageNotice, PageStatus
from incidentdesk.oncall.paging import escalations_advance, page_acknowledge, page_create
from incidentdesk.oncall.policies import policy_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def notified(page) -> list[tuple[int, int, str]]:
    """(round, step, username) of every notice of the page, in order."""
    return [
        (n.round, n.step, n.user.username)
        for n in PageNotice.objects.filter(page=page).select_related("user").order_by("pk")
    ]


def later(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


@pytest.fixture
def two_steps(make_policy, crew):
    return make_policy(
        [
            {"target": "person", "person": "ada", "wait_minutes": 5},
            {"target": "person", "person": "bob", "wait_minutes": 10},
        ],
        repeat=1,
    )


def test_the_first_step_runs_with_the_page_and_the_next_only_once_its_wait_is_over(
    two_steps, responder
):
    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Disk full on db1")
    assert notified(page) == [(0, 0, "ada")]
    page.refresh_from_db()
    assert (
        page.status == PageStatus.OPEN and page.outcome == "step 1 of 2, round 1 of 2: notified ada"
    )
    assert escalations_advance(now=later(4)) == 0
    assert notified(page) == [(0, 0, "ada")]
    assert escalations_advance(now=later(5.1)) == 1
    assert notified(page)[-1] == (0, 1, "bob")


def test_nobody_acknowledging_exhausts_the_page_and_says_so_in_words_to_admins(
    two_steps, responder, make_user
):
    from incidentdesk.accounts.models import Role

    make_user(Role.ADMIN, username="root", email="root@example.com")
    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Disk full on db1")
    minutes = 0
    for wait in (5, 10, 5, 10):  # step 2, round 2 step 1, step 2, then the last wait
        minutes += wait + 0.1
        assert escalations_advance(now=later(minutes)) == 1
    assert notified(page) == [(0, 0, "ada"), (0, 1, "bob"), (1, 0, "ada"), (1, 1, "bob")]
    page.refresh_from_db()
    assert page.status == PageStatus.EXHAUSTED and page.finished_at and page.next_at is None
    assert page.outcome == "nobody acknowledged after 2 steps × 2 rounds; last notified: bob"
    event = OutboxEvent.objects.get(topic="page.exhausted")
    assert event.staff_emails == ["root@example.com"]
    assert "nobody acknowledged after 2 steps" in event.payload["email"]["text"]
    assert escalations_advance(now=later(120)) == 0


def test_running_the_tick_again_at_the_same_moment_runs_no_step_twice(two_steps, responder):
    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Disk full")
    moment = later(6)
    assert escalations_advance(now=moment) == 1
    assert escalations_advance(now=moment) == 0
    assert notified(page) == [(0, 0, "ada"), (0, 1, "bob")]
    assert OutboxEvent.objects.filter(topic="page.notify").count() == 2


def test_a_step_with_nobody_on_call_is_recorded_and_the_next_runs_without_waiting(
    make_policy, crew, primary, empty_schedule, responder
):
    make_policy(
        [
            {"target": "schedule", "schedule": "Weekend", "wait_minutes": 30},
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 5},
        ]
    )
    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Queue stuck")
    page.refresh_from_db()
    assert page.outcome == "step 1 of 2: nobody is on call in Weekend; moved on at once"
    assert page.next_at <= timezone.now()
    assert escalations_advance() == 1
    assert notified(page) == [(0, 1, "ada")]  # ada is on call in Primary today
    for _ in range(2):
        escalations_advance(now=later(6))
    page.refresh_from_db()
    assert page.status == PageStatus.EXHAUSTED
    assert page.outcome == (
        "nobody acknowledged after 2 steps; last notified: ada; "
        "nobody to notify at step 1 (Weekend)"
    )


def test_everyone_in_a_schedule_is_notified_by_an_everyone_step(
    make_policy, crew, primary, responder
):
    make_policy([{"target": "schedule_all", "schedule": "Primary", "wait_minutes": 5}])
    page = page_create(actor=responder, source=WEB, summary="All hands", policy="Ops")
    assert sorted(n[2] for n in notified(page)) == ["ada", "bob"]


def test_paging_a_schedule_notifies_whoever_is_on_call_now(primary, crew, responder):
    page = page_create(actor=responder, source=WEB, schedule="Primary", summary="API errors")
    assert notified(page) == [(0, 0, "ada")]
    assert page.plan[0]["target"] == "schedule" and page.policy is None


def test_without_a_target_the_default_policy_pages_and_without_one_it_is_refused(
    make_policy, crew, responder
):
    with pytest.raises(ValidationError) as refused:
        page_create(actor=responder, source=WEB, summary="Help")
    assert refused.value.field == "target"
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    page = page_create(actor=responder, source=WEB, summary="Help")
    assert page.policy.name == "Lead" and notified(page) == [(0, 0, "cy")]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"person": "ada", "schedule": "Primary"}, "target"),
        ({"person": "nobody"}, "person"),
        ({"schedule": "Nowhere"}, "schedule"),
        ({"policy": "Nothing"}, "policy"),
        ({"person": "ada", "summary": ""}, "summary"),
        ({"person": "ada", "link": "javascript:alert(1)"}, "link"),
        ({"person": "ada", "summary": "x" * 301}, "summary"),
    ],
)
def test_bad_page_input_is_refused_naming_the_field_and_nothing_is_stored(
    crew, primary, responder, kwargs, field
):
    kwargs.setdefault("summary", "Help")
    with pytest.raises(ValidationError) as refused:
        page_create(actor=responder, source=WEB, **kwargs)
    assert refused.value.field == field
    assert not Page.objects.exists() and not OutboxEvent.objects.exists()


def test_editing_the_policy_does_not_move_a_page_already_escalating(two_steps, chief, responder):
    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Disk full")
    policy_update(
        actor=chief, source=WEB, policy=two_steps, steps=[{"target": "person", "person": "dee"}]
    )
    escalations_advance(now=later(6))
    assert notified(page) == [(0, 0, "ada"), (0, 1, "bob")]


def test_acknowledging_stops_the_escalation(two_steps, crew, responder):
    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Disk full")
    page = page_acknowledge(actor=crew["ada"], source=WEB, page=page)
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == crew["ada"]
    assert page.outcome == "acknowledged by ada (after step 1 of 2, round 1)"
    assert escalations_advance(now=later(60)) == 0
    assert notified(page) == [(0, 0, "ada")]


def test_a_page_reaches_a_person_by_each_contact_method_in_order_else_their_email(
    crew, responder, committed, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    ada = crew["ada"]
    ContactMethod.objects.create(
        user=ada, position=2, kind="webhook", address="http://127.0.0.1:9/p"
    )
    ContactMethod.objects.create(user=ada, position=1, kind="email", address="ada@pager.example")
    committed(page_create, actor=responder, source=WEB, person="ada", summary="Disk full")
    committed(page_create, actor=responder, source=WEB, person="bob", summary="Disk full")
    rows = list(Delivery.objects.order_by("pk").values_list("channel", "recipient", "audience"))
    assert rows[:2] == [
        ("email", "ada@pager.example", "oncall.pagee"),
        ("webhook", "http://127.0.0.1:9/p", "oncall.pagee"),
    ]
    assert rows[2] == ("email", "bob@example.com", "oncall.pagee")
    assert [m.to for m in mail.outbox] == [["ada@pager.example"], ["bob@example.com"]]
    assert mail.outbox[0].subject == "[Page] Disk full"


def test_a_later_step_is_not_sent_once_the_page_is_acknowledged_but_the_first_always_is(
    two_steps, crew, responder, committed
):
    from incidentdesk.notifications import delivery as engine

    page = page_create(actor=responder, source=WEB, policy="Ops", summary="Disk full")
    escalations_advance(now=later(6))  # step 2 emitted; not yet fanned out nor sent
    page_acknowledge(actor=crew["ada"], source=WEB, page=page)
    for event in OutboxEvent.objects.filter(topic="page.notify").order_by("pk"):
        engine.fan_out_event(event.pk)
    engine.deliver_due(seconds=5)
    sent = dict(Delivery.objects.values_list("recipient", "last_error"))
    assert sent == {"ada@example.com": "", "bob@example.com": "skipped: the page was acknowledged"}
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]


def test_viewers_may_not_page_and_a_restricted_incident_is_paged_only_by_who_sees_it(
    crew, declare, viewer, responder
):
    from incidentdesk.core.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        page_create(actor=viewer, source=WEB, person="ada", summary="Help")
    incident = declare(restricted=True)
    outsider = UserFactory(username="outsider")
    with pytest.raises(NotFound) as hidden:
        page_create(actor=outsider, source=WEB, person="ada", incident=incident)
    assert hidden.value.field == "incident"
    page = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    assert page.summary == f"{incident.reference}: {incident.title}"


def test_a_step_put_off_refreshes_its_incidents_open_pages(
    make_policy, crew, primary, responder, declare
):
    from incidentdesk.oncall.models import Schedule

    make_policy(
        [
            {"target": "person", "person": "ada", "wait_minutes": 1},
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 1},
        ]
    )
    incident = declare()
    page = page_create(actor=responder, source=WEB, policy="Ops", incident=incident)
    Schedule.objects.filter(pk=primary.pk).update(time_zone="Mars/Olympus_Mons")
    before = live.incident_version(incident.pk)
    escalations_advance(now=later(2))  # the second step fails and is put off
    page.refresh_from_db()
    assert "could not run" in page.outcome  # the paging panel shows it
    assert live.incident_version(incident.pk) > before


def test_a_step_that_fails_is_tried_again_later_without_holding_up_other_pages(
    make_policy, crew, primary, responder
):
    from incidentdesk.oncall.models import Schedule

    make_policy(
        [
            {"target": "person", "person": "ada", "wait_minutes": 1},
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 1},
        ]
    )
    broken = page_create(actor=responder, source=WEB, policy="Ops", summary="First")
    fine = page_create(actor=responder, source=WEB, person="bob", summary="Second")
    Schedule.objects.filter(pk=primary.pk).update(time_zone="Mars/Olympus_Mons")
    moment = later(2)
    assert escalations_advance(now=moment) == 0  # the broken step rolled back
    broken.refresh_from_db()
    assert broken.status == PageStatus.OPEN and broken.step == 1
    assert broken.next_at == moment + timedelta(minutes=1)
    assert broken.outcome.startswith("step 2 of 2 could not run (")
    assert escalations_advance(now=later(16)) == 1  # the person page's wait is over
    fine.refresh_from_db()
    assert fine.status == PageStatus.EXHAUSTED
    Schedule.objects.filter(pk=primary.pk).update(time_zone="UTC")
    escalations_advance(now=later(17))
    assert notified(broken) == [(0, 0, "ada"), (0, 1, "ada")]


def test_each_step_queues_a_run_for_its_successor_and_a_tick_runs_every_minute(
    two_steps, responder, committed
):
    from datetime import UTC, datetime

    from huey.contrib.djhuey import HUEY

    from incidentdesk.oncall import tasks

    HUEY.storage.flush_schedule()
    page = committed(page_create, actor=responder, source=WEB, policy="Ops", summary="Disk full")
    page.refresh_from_db()
    queued = [t.eta for t in HUEY.scheduled() if t.name == tasks.escalate.task_class.__name__]
    assert queued == [page.next_at.astimezone(UTC).replace(tzinfo=None)]
    tick = tasks.escalations_every_minute.task_class()
    assert all(tick.validate_datetime(datetime(2026, 3, 29, 1, m)) for m in (0, 1, 59))

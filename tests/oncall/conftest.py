"""What the paging tests share: a crew, a schedule with one daily layer, policies made through
the services, and `committed(f, …)`, which runs f and then its after-commit work (the outbox's
fan-out and delivery, with tasks inline) as a real commit would."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.policies import policy_create
from incidentdesk.oncall.services import layer_add, schedule_create
from tests.chat.conftest import configured  # noqa: F401 - the chat tests' fixtures
from tests.chat.slack_fixtures import slack, standin  # noqa: F401
from tests.factories import UserFactory
from tests.notifications.conftest import mail_settings, receiver, smtp  # noqa: F401

WEB = ActionSource.WEB


@pytest.fixture
def chief(db):
    return UserFactory(username="boss", role=Role.MANAGER)


@pytest.fixture
def crew(db):
    return {name: UserFactory(username=name) for name in ("ada", "bob", "cy", "dee")}


@pytest.fixture
def primary(chief, crew):
    """A schedule whose one daily layer has ada on call today (bob tomorrow)."""
    schedule = schedule_create(actor=chief, source=WEB, name="Primary", time_zone="UTC")
    today = timezone.now().date()
    layer_add(
        actor=chief,
        source=WEB,
        schedule=schedule,
        people=[crew["ada"].pk, crew["bob"].pk],
        rotation_start=today - timedelta(days=2),
        handoff_time=time(0, 0),
    )
    return schedule


@pytest.fixture
def empty_schedule(chief):
    """A schedule with no layer yet: nobody is on call."""
    return schedule_create(actor=chief, source=WEB, name="Weekend", time_zone="UTC")


@pytest.fixture
def make_policy(chief):
    def make(steps, *, name="Ops", repeat=0, is_default=False, **more):
        return policy_create(
            actor=chief,
            source=WEB,
            name=name,
            repeat=repeat,
            is_default=is_default,
            steps=steps,
            **more,
        )

    return make


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run

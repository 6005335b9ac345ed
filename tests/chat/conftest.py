"""Fixtures every chat test may use: the Slack Web API stand-in and a Slack platform pointed at
it (`standin`, `slack`), that platform registered as the install's Slack (`configured`),
`ada`, a responder linked on Slack as UADA by her verified email, and `committed(f, …)`, which
runs f and then its after-commit work (the outbox's fan-out and delivery, the queued chat
tasks) as a real commit would."""

import pytest

from incidentdesk.chat import registry as platforms
from tests.chat import slack_fixtures

standin = slack_fixtures.standin
slack = slack_fixtures.slack


@pytest.fixture
def configured(slack):
    platforms.register_platform("slack", lambda: slack)
    yield slack
    platforms.unregister_platform("slack")


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    def run(function, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return function(*args, **kwargs)

    return run


@pytest.fixture
def ada(standin, responder):
    responder.email = "ada@example.com"
    responder.save()
    standin.add_user("UADA", name="ada", email="ada@example.com")
    return responder

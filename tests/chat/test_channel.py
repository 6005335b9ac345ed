"""Chat messages go out through the notification engine as the `chat` channel kind: worded by
the renderer a domain registered, posted into the conversation through its platform, retried
on a temporary refusal and given up on a permanent one."""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.channel import address
from incidentdesk.notifications import registry, tasks
from incidentdesk.notifications.models import Delivery
from incidentdesk.notifications.outbox import emit

TOPIC = "test.chat_notice"


@dataclass
class Conversations:
    """An audience brought by the test: the conversations named on the event."""

    conversations: list
    name: str = "test.conversations"

    def recipients(self, event):
        return [registry.Recipient("chat", c, c) for c in self.conversations]

    def standing(self, references):
        return {ref: registry.Standing() for ref in references}


@pytest.fixture
def chat_world(slack):
    """Slack configured (pointed at the stand-in), an audience and the topic's chat renderer."""
    channel = slack.incidents_channel
    saved = (dict(registry._audiences), dict(registry._topic_audience), dict(registry._renderers))
    registry.register_audience(
        Conversations([address("slack", channel)]), topics=[TOPIC], default=False
    )
    registry.register_renderer(TOPIC, "chat", lambda data: {"text": f"INC {data['ref']} moved"})
    platforms.register_platform("slack", lambda: slack)
    yield channel
    if "slack" in platforms.platform_kinds():
        platforms.unregister_platform("slack")
    for live, copy in zip(
        (registry._audiences, registry._topic_audience, registry._renderers), saved, strict=True
    ):
        live.clear()
        live.update(copy)


def _notify():
    event = emit(topic=TOPIC, payload={"ref": "7"}, to_subscribers=True)
    tasks.fan_out.call_local(event.pk)
    tasks.deliver.call_local()
    return Delivery.objects.get(event=event)


@pytest.mark.django_db
def test_a_notice_is_posted_into_its_conversation_in_the_words_of_its_renderer(chat_world, standin):
    delivery = _notify()
    assert delivery.status == "sent"
    [call] = standin.calls_to("chat.postMessage")
    assert (call.args["channel"], call.args["text"]) == (chat_world, "INC 7 moved")


@pytest.mark.django_db
def test_a_rate_limited_post_waits_for_a_retry(chat_world, standin):
    standin.rate_limit("chat.postMessage", retry_after=30)
    delivery = _notify()
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "ratelimited" in delivery.last_error
    assert delivery.next_attempt_at > timezone.now()


@pytest.mark.django_db
def test_a_rate_limited_post_waits_at_least_as_long_as_slack_asked(chat_world, standin):
    standin.rate_limit("chat.postMessage", retry_after=900)  # longer than the first backoff
    delivery = _notify()
    assert delivery.status == "pending"
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=890)


@pytest.mark.django_db
def test_a_conversation_that_is_gone_is_given_up_on(chat_world, standin):
    standin.fail("chat.postMessage", "channel_not_found")
    delivery = _notify()
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("channel_not_found")


@pytest.mark.django_db
def test_a_platform_that_is_not_configured_is_a_failure_an_admin_sees(chat_world):
    platforms.unregister_platform("slack")
    delivery = _notify()
    assert delivery.status == "failed"
    assert "not configured" in delivery.last_error

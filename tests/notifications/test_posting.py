"""What the kinds that post over HTTP share (channels/posting.py): a 429's Retry-After, in
seconds or as an HTTP date, is honoured by webhooks too."""

from datetime import timedelta
from email.utils import format_datetime

import pytest
from django.utils import timezone

from tests.notifications import standins
from tests.notifications.standins import Reply, StandIn

send = standins.send


@pytest.fixture
def receiver():
    server = StandIn()
    yield server
    server.stop()


def test_a_rate_limited_webhook_waits_as_long_as_the_receiver_asked(receiver, send):
    receiver.replies.append(Reply(429, b"slow down", {"Retry-After": "1200"}))
    delivery = send("webhook", receiver.url("/hook"), None)
    assert (delivery.status, delivery.last_error) == ("pending", "HTTP 429 Too Many Requests")
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=1190)


def test_a_retry_after_given_as_a_date_is_honoured(receiver, send):
    later = timezone.now() + timedelta(minutes=30)
    receiver.replies.append(Reply(429, b"", {"Retry-After": format_datetime(later, usegmt=True)}))
    delivery = send("webhook", receiver.url("/hook"), None)
    assert delivery.next_attempt_at >= later - timedelta(seconds=5)


def test_a_retry_after_longer_than_an_hour_waits_an_hour(receiver, send):
    receiver.replies.append(Reply(429, b"", {"Retry-After": "86400"}))
    delivery = send("webhook", receiver.url("/hook"), None)
    assert delivery.next_attempt_at <= timezone.now() + timedelta(hours=1, seconds=5)

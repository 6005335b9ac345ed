"""The `apprise` channel kind, through the real Apprise library, against a JSON receiver on
loopback (Apprise's `json://` service posts to the host the URL names), and the address rules
held while Apprise connects."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry
from incidentdesk.notifications.channels.apprise import guard
from tests.notifications import standins
from tests.notifications.standins import Reply, StandIn

send = standins.send

WORDS = {"title": "Page: INC-2026-0042", "text": "Payments are failing. Ack: https://d.example/a"}


def json_url(receiver: StandIn, path="/hook") -> str:
    """The Apprise URL of a JSON receiver (`json://` posts the message as JSON to it)."""
    return f"json://127.0.0.1:{receiver.port}{path}"


@pytest.fixture
def receiver():
    server = StandIn()
    yield server
    server.stop()


def test_a_notice_reaches_the_service_the_apprise_url_names(receiver, send):
    delivery = send("apprise", json_url(receiver), WORDS)
    assert (delivery.status, delivery.last_error) == ("sent", "")
    [request] = receiver.requests
    assert request.path == "/hook"
    body = request.json()
    assert (body["title"], body["message"]) == (WORDS["title"], WORDS["text"])


def test_a_receiver_on_a_loopback_address_is_refused_while_sending(receiver, send, settings):
    address = json_url(receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if the name now resolved to loopback
    delivery = send("apprise", address, WORDS)
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("refused: 127.0.0.1 resolves to a loopback address")
    assert receiver.requests == []


def test_a_service_that_answers_an_error_is_tried_again_later(receiver, send):
    receiver.replies.append(Reply(500, b"down"))
    delivery = send("apprise", json_url(receiver), WORDS)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert "500" in delivery.last_error, delivery.last_error


def test_a_rate_limited_service_is_tried_again_later(receiver, send):
    receiver.replies.append(Reply(429, b"slow down", {"Retry-After": "30"}))
    delivery = send("apprise", json_url(receiver), WORDS)
    assert delivery.status == "pending"
    assert delivery.next_attempt_at > timezone.now() + timedelta(seconds=10)


def test_a_service_that_does_not_answer_in_time_is_tried_again_later(receiver, send, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    receiver.stalled.set()
    started = timezone.now()
    delivery = send("apprise", json_url(receiver), WORDS)
    assert delivery.status == "pending"
    assert "Connection error occurred sending JSON notification" in delivery.last_error
    assert timezone.now() - started < timedelta(seconds=5)


def test_an_address_apprise_no_longer_takes_is_given_up(send):
    delivery = send("apprise", "nosuchservice://somewhere", WORDS)
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "no Apprise service takes this URL",
    )


def test_a_topic_without_apprise_words_is_given_up(receiver, send):
    delivery = send("apprise", json_url(receiver), None)
    assert delivery.status == "failed"
    assert receiver.requests == []


def test_connections_outside_an_apprise_send_are_not_checked(receiver, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    guard.install()
    with guard.checked_connections() as refused:
        pass
    assert refused == []
    # urllib3 (through requests) opens this one with the guard installed but not entered.
    import requests

    answer = requests.post(receiver.url("/plain"), json={}, timeout=5)
    assert answer.status_code == 200


def test_an_apprise_url_of_a_self_hosted_service_on_loopback_is_taken_when_allowed(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    url = "json://127.0.0.1:8080/hook"
    assert registry.clean_address("apprise", f" {url} ") == url


def test_an_apprise_url_of_a_cloud_service_is_taken():
    url = "pover://ukey01234567890123456789abcd@token01234567890123456789abcd"
    assert registry.clean_address("apprise", url) == url


@pytest.mark.parametrize(
    "address, problem",
    [
        ("nosuchservice://somewhere", "is not an Apprise URL of a service Apprise knows"),
        ("mailto://ada:secret@example.org", "does not go over HTTP"),
        ("rsyslog://logs.example.org", "does not go over HTTP"),
        ("json://10.0.0.1/hook", "can't receive updates"),
        ("json://127.0.0.1:8080/hook", "can't receive updates"),
        ("", "give an Apprise URL"),
    ],
)
def test_an_address_apprise_cannot_take_or_we_cannot_check_is_refused_naming_the_field(
    address, problem
):
    with pytest.raises(ValidationError) as caught:
        registry.clean_address("apprise", address, field="address")
    assert caught.value.field == "address" and problem in caught.value.message

"""The `ntfy` channel kind against an HTTP stand-in that answers as an ntfy server does: JSON
publishing to the server's root, its access control and its refusals."""

import base64
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry
from tests.notifications import standins
from tests.notifications.standins import Reply, StandIn

send = standins.send

TOPIC_NAME = re.compile(r"[-_A-Za-z0-9]{1,64}")

WORDS = {
    "title": "Page: INC-2026-0042 Payments are failing",
    "text": "You are paged. Acknowledge: https://desk.example.org/pages/ack/abc",
    "priority": 5,
    "tags": ["rotating_light"],
    "click": "https://desk.example.org/incidents/42",
    "actions": [
        {"label": "Acknowledge", "url": "https://desk.example.org/pages/ack/abc", "method": "POST"},
        {"label": "Open", "url": "https://desk.example.org/incidents/42", "method": "GET"},
    ],
}


class Ntfy:
    """What an ntfy server does with a JSON publish: the topic is required and must be a topic
    name, a server with a login refuses anyone without it (ntfy's error shape)."""

    def __init__(self):
        self.login = ""  # the Authorization header the server wants, when it wants one
        self.standin = StandIn(self.answer)

    def answer(self, request) -> Reply:
        if self.login and request.headers.get("Authorization") != self.login:
            return Reply(401, {"code": 40101, "http": 401, "error": "unauthorized"})
        message = request.json()
        if not TOPIC_NAME.fullmatch(str(message.get("topic", ""))):
            return Reply(400, {"code": 40009, "http": 400, "error": "invalid topic"})
        return Reply(200, {"id": "sPs71M8A2T", "event": "message", **message})

    def topic_url(self, topic="oncall-ada", prefix="") -> str:
        return self.standin.url(f"{prefix}/{topic}")


@pytest.fixture
def ntfy():
    server = Ntfy()
    yield server
    server.standin.stop()


def test_a_notice_is_published_as_one_json_message_to_the_servers_root(ntfy, send):
    delivery = send("ntfy", ntfy.topic_url(), WORDS)
    assert delivery.status == "sent"
    [request] = ntfy.standin.requests
    assert request.path == "/"
    assert request.headers["Content-Type"] == "application/json"
    message = request.json()
    assert message["topic"] == "oncall-ada"
    assert message["title"] == WORDS["title"]
    assert message["message"] == WORDS["text"]
    assert (message["priority"], message["tags"]) == (5, ["rotating_light"])
    assert message["click"] == WORDS["click"]
    acknowledge, open_ = message["actions"]
    assert acknowledge == {
        "action": "http",
        "label": "Acknowledge",
        "url": "https://desk.example.org/pages/ack/abc",
        "method": "POST",
        "clear": True,
    }
    assert open_ == {"action": "view", "label": "Open", "url": WORDS["click"]}
    assert "Authorization" not in request.headers


def test_a_server_under_a_path_is_published_to_at_that_path(ntfy, send):
    delivery = send("ntfy", ntfy.topic_url(prefix="/push"), WORDS)
    assert delivery.status == "sent"
    assert ntfy.standin.requests[0].path == "/push/"


def test_a_priority_outside_one_to_five_is_brought_within_it(ntfy, send):
    send("ntfy", ntfy.topic_url(), {**WORDS, "priority": 9})
    assert ntfy.standin.requests[0].json()["priority"] == 5


def test_a_long_text_stays_within_the_bytes_ntfy_keeps_as_a_message(ntfy, send):
    send("ntfy", ntfy.topic_url(), {**WORDS, "text": "é" * 3000})  # 6,000 bytes
    text = ntfy.standin.requests[0].json()["message"]
    assert text == "é" * 2000 and len(text.encode()) <= 4096


def test_the_access_token_named_for_the_server_is_sent_as_a_bearer_token(ntfy, send, settings):
    ntfy.login = "Bearer tk_ada0123456789"
    settings.NTFY_TOKENS = {"127.0.0.1": "tk_ada0123456789"}
    assert send("ntfy", ntfy.topic_url(), WORDS).status == "sent"


def test_a_user_and_password_named_for_the_server_and_port_are_sent_as_basic_auth(
    ntfy, send, settings
):
    ntfy.login = "Basic " + base64.b64encode(b"desk:s3cret").decode()
    settings.NTFY_TOKENS = {f"127.0.0.1:{ntfy.standin.port}": "desk:s3cret"}
    assert send("ntfy", ntfy.topic_url(), WORDS).status == "sent"


def test_a_server_that_wants_a_login_we_lack_is_tried_again_later(ntfy, send):
    ntfy.login = "Bearer tk_someone_else"
    delivery = send("ntfy", ntfy.topic_url(), WORDS)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "HTTP 401 Unauthorized: unauthorized"


def test_a_rate_limited_publish_waits_as_long_as_the_server_asked(ntfy, send):
    ntfy.standin.replies.append(
        Reply(429, {"code": 42901, "error": "limit reached"}, {"Retry-After": "900"})
    )
    delivery = send("ntfy", ntfy.topic_url(), WORDS)
    assert delivery.status == "pending"
    assert "HTTP 429" in delivery.last_error
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=890)


def test_a_message_the_server_refuses_as_malformed_is_given_up(ntfy, send):
    ntfy.standin.replies.append(
        Reply(400, {"code": 40007, "error": "invalid request: too many actions"})
    )
    delivery = send("ntfy", ntfy.topic_url(), WORDS)
    assert delivery.status == "failed"
    assert delivery.last_error == "HTTP 400 Bad Request: invalid request: too many actions"


def test_a_server_that_does_not_answer_in_time_is_tried_again_later(ntfy, send, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    ntfy.standin.stalled.set()
    delivery = send("ntfy", ntfy.topic_url(), WORDS)
    assert (delivery.status, delivery.last_error) == ("pending", "no answer within 0.5 s")


def test_a_topic_url_that_now_resolves_to_a_private_address_is_refused_at_delivery(
    ntfy, send, settings
):
    address = ntfy.topic_url()
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # as if the name now resolved to loopback
    delivery = send("ntfy", address, WORDS)
    assert delivery.status == "failed"
    assert delivery.last_error.startswith("refused: 127.0.0.1 resolves to a loopback address")
    assert ntfy.standin.requests == []


def test_a_topic_without_ntfy_words_is_given_up_naming_the_topic(ntfy, send):
    delivery = send("ntfy", ntfy.topic_url(), None)
    assert delivery.status == "failed"
    assert delivery.last_error == "no ntfy words for 'test.channel_notice'"


def test_a_topic_url_is_accepted_as_an_ntfy_address(settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    url = "http://127.0.0.1:8080/push/oncall-ada"
    assert registry.clean_address("ntfy", f" {url} ") == url


@pytest.mark.parametrize(
    "address, problem",
    [
        ("http://127.0.0.1:8080/", "must end with the topic"),
        ("http://127.0.0.1:8080/on call", "must not contain spaces"),
        ("http://127.0.0.1:8080/oncall?auth=x", "without ?query"),
        ("http://127.0.0.1:8080/" + "a" * 65, "must end with the topic"),
    ],
)
def test_an_address_that_is_no_topic_url_is_refused_naming_the_field(settings, address, problem):
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    with pytest.raises(ValidationError) as caught:
        registry.clean_address("ntfy", address, field="address")
    assert caught.value.field == "address" and problem in caught.value.message


def test_a_topic_url_on_a_private_address_is_refused():
    with pytest.raises(ValidationError) as caught:
        registry.clean_address("ntfy", "https://10.0.0.1/oncall-ada", field="address")
    assert caught.value.field == "address"

"""The `sms` and `voice` channel kinds through the Twilio provider, against an HTTP stand-in
that checks requests as Twilio's REST API does (basic auth with the account SID and auth token,
form-encoded Messages and Calls with their required fields) and answers in Twilio's shapes."""

import base64
import re
import xml.etree.ElementTree as ET
from datetime import timedelta
from urllib.parse import parse_qs

import pytest
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry
from tests.notifications import standins
from tests.notifications.standins import Reply, StandIn

send = standins.send

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "auth-token-for-tests"
SENDER = "+15005550006"
ADA = "+442079460958"
ACCOUNT_PATH = re.compile(r"/2010-04-01/Accounts/(?P<sid>[^/]+)/(?P<resource>Messages|Calls)\.json")
E164 = re.compile(r"\+[1-9][0-9]{7,14}")


def refusal(status: int, code: int, message: str) -> Reply:
    more = f"https://www.twilio.com/docs/errors/{code}"
    return Reply(status, {"code": code, "message": message, "more_info": more, "status": status})


class Twilio:
    """Twilio's REST API as far as messages and calls go."""

    def __init__(self):
        self.created: list[tuple[str, dict]] = []  # (resource, form fields)
        self.standin = StandIn(self.answer)

    def answer(self, request) -> Reply:
        found = ACCOUNT_PATH.fullmatch(request.path)
        if not found:
            return refusal(404, 20404, "The requested resource was not found")
        expected = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
        if found["sid"] != SID or request.headers.get("Authorization") != expected:
            return refusal(401, 20003, "Authenticate")
        if request.headers.get("Content-Type") != "application/x-www-form-urlencoded":
            return refusal(400, 20001, "Unsupported content type")
        fields = {k: v[0] for k, v in parse_qs(request.body.decode(), strict_parsing=True).items()}
        if not E164.fullmatch(fields.get("To", "")):
            return refusal(400, 21211, f"Invalid 'To' Phone Number: {fields.get('To', '')}")
        if fields.get("From") != SENDER:
            return refusal(400, 21212, "Invalid From Number")
        if found["resource"] == "Messages":
            if not fields.get("Body"):
                return refusal(400, 21602, "Message body is required.")
            sid = f"SM{len(self.created):032d}"
        else:
            if not fields.get("Twiml") and not fields.get("Url"):
                return refusal(400, 21205, "Url or Twiml parameter is required.")
            ET.fromstring(fields["Twiml"])  # a document that does not parse fails the test
            sid = f"CA{len(self.created):032d}"
        self.created.append((found["resource"], fields))
        return Reply(201, {"sid": sid, "status": "queued", "to": fields["To"]})


@pytest.fixture
def twilio(settings):
    server = Twilio()
    settings.SMS_PROVIDER = "twilio"
    settings.SMS_API_URL = server.standin.url("")
    settings.SMS_ACCOUNT_SID, settings.SMS_AUTH_TOKEN, settings.SMS_FROM = SID, TOKEN, SENDER
    yield server
    server.standin.stop()


TEXT = {"text": "Paged: INC-2026-0042 Payments are failing. Ack: https://desk.example.org/p/a"}
SPEECH = {"speech": "You are paged for INC 42: payments <failing> & refunds late."}


def test_a_text_message_is_created_through_twilios_messages_api(twilio, send):
    delivery = send("sms", ADA, TEXT)
    assert (delivery.status, delivery.last_error) == ("sent", "")
    [(resource, fields)] = twilio.created
    assert resource == "Messages"
    assert fields == {"To": ADA, "From": SENDER, "Body": TEXT["text"]}


def test_a_call_says_the_speech_in_a_twiml_document(twilio, send):
    delivery = send("voice", ADA, SPEECH)
    assert delivery.status == "sent"
    [(resource, fields)] = twilio.created
    assert resource == "Calls"
    assert (fields["To"], fields["From"]) == (ADA, SENDER)
    document = ET.fromstring(fields["Twiml"])
    assert document.tag == "Response"
    [say] = document
    assert (say.tag, say.text) == ("Say", SPEECH["speech"])


def test_a_long_text_is_cut_to_what_twilio_takes(twilio, send):
    send("sms", ADA, {"text": "x" * 2000})
    assert len(twilio.created[0][1]["Body"]) == 1600


def test_a_number_twilio_refuses_is_given_up_in_twilios_words(twilio, send):
    twilio.standin.replies.append(refusal(400, 21614, "'To' number is not a valid mobile number"))
    delivery = send("sms", ADA, TEXT)
    assert delivery.status == "failed"
    assert delivery.last_error == (
        "HTTP 400 Bad Request: Twilio 21614 'To' number is not a valid mobile number"
    )


def test_refused_credentials_are_tried_again_later(twilio, send, settings):
    settings.SMS_AUTH_TOKEN = "a-rotated-token"
    delivery = send("sms", ADA, TEXT)
    assert (delivery.status, delivery.attempts) == ("pending", 1)
    assert delivery.last_error == "HTTP 401 Unauthorized: Twilio 20003 Authenticate"


def test_a_rate_limited_request_waits_as_long_as_twilio_asked(twilio, send):
    reply = refusal(429, 20429, "Too Many Requests")
    reply.headers["Retry-After"] = "600"
    twilio.standin.replies.append(reply)
    delivery = send("voice", ADA, SPEECH)
    assert delivery.status == "pending"
    assert "Twilio 20429" in delivery.last_error
    assert delivery.next_attempt_at >= timezone.now() + timedelta(seconds=590)


def test_a_provider_that_does_not_answer_in_time_is_tried_again_later(twilio, send, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    twilio.standin.stalled.set()
    delivery = send("sms", ADA, TEXT)
    assert (delivery.status, delivery.last_error) == ("pending", "no answer within 0.5 s")


def test_without_a_provider_a_text_gives_up_at_once_saying_so(send, settings):
    settings.SMS_PROVIDER = ""
    delivery = send("sms", ADA, TEXT)
    assert delivery.status == "failed"
    assert delivery.last_error == "SMS and voice are not configured (SMS_PROVIDER is empty)"


def test_a_provider_without_its_account_gives_up_naming_the_missing_settings(send, settings):
    settings.SMS_PROVIDER, settings.SMS_FROM = "twilio", SENDER
    settings.SMS_ACCOUNT_SID = settings.SMS_AUTH_TOKEN = ""
    delivery = send("voice", ADA, SPEECH)
    assert delivery.status == "failed"
    assert delivery.last_error.endswith("(SMS_ACCOUNT_SID, SMS_AUTH_TOKEN empty)")


def test_an_unknown_provider_gives_up_naming_it(send, settings):
    settings.SMS_PROVIDER = "carrier-pigeon"
    delivery = send("sms", ADA, TEXT)
    assert delivery.status == "failed"
    assert "'carrier-pigeon' is not one of: twilio" in delivery.last_error


def test_a_topic_without_voice_words_is_given_up(twilio, send):
    delivery = send("voice", ADA, {"text": "only a text"})
    assert (delivery.status, delivery.last_error) == (
        "failed",
        "no voice words for 'test.channel_notice'",
    )
    assert twilio.created == []


@pytest.mark.parametrize("kind", ["sms", "voice"])
def test_a_phone_number_is_taken_in_international_form(kind):
    assert registry.clean_address(kind, " +44 (20) 7946-0958 ") == ADA


@pytest.mark.parametrize(
    "number", ["02079460958", "+0442079460958", "+1234567", "+44 20 ext 1", ""]
)
def test_a_number_that_is_not_international_is_refused_naming_the_field(number):
    with pytest.raises(ValidationError) as caught:
        registry.clean_address("sms", number, field="address")
    assert caught.value.field == "address"

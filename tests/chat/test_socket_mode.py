"""Slack's Socket Mode, for real: slack_sdk's built-in client asks the Web API stand-in for a
WebSocket address (`apps.connections.open`, with the app-level token), connects to a WebSocket
server on loopback that plays Slack's end (hello, then envelopes), and each envelope is taken in
exactly as the HTTP endpoints take it and acknowledged with its envelope_id."""

import json
import os
import queue
import signal
import threading
import uuid

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

from incidentdesk.chat import handling, socket_mode
from incidentdesk.chat.models import InboundRecord, IncidentConversation
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from tests.chat import slack_fixtures

# The client takes envelopes on its own threads, which commit as a server would.
pytestmark = pytest.mark.django_db(transaction=True)

APP_TOKEN = "xapp-1-A0000000001-0000000000001-abcdef"
WAIT = 10  # seconds an expected acknowledgement may take before the test fails


class SlackSocketEnd:
    """Slack's end of a Socket Mode connection on loopback: greets with `hello`, sends the
    envelopes put in `send`, and keeps every message the app sends back in `acks`."""

    def __init__(self) -> None:
        self.send: queue.Queue = queue.Queue()
        self.acks: queue.Queue = queue.Queue()
        self.server = serve(self._session, "127.0.0.1", 0)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        port = self.server.socket.getsockname()[1]
        self.url = f"ws://127.0.0.1:{port}/link/?ticket={uuid.uuid4()}&app_id=A0000000001"

    def _session(self, websocket) -> None:
        hello = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A01"}}
        websocket.send(json.dumps(hello))
        threading.Thread(target=self._read, args=(websocket,), daemon=True).start()
        while True:
            envelope = self.send.get()
            if envelope is None:
                websocket.close()
                return
            websocket.send(json.dumps(envelope))

    def _read(self, websocket) -> None:
        try:
            for message in websocket:
                self.acks.put(json.loads(message))
        except ConnectionClosed:
            pass

    def deliver(self, envelope: dict) -> dict:
        """Send `envelope` and wait for the app's acknowledgement of it."""
        self.send.put(envelope)
        ack = self.acks.get(timeout=WAIT)
        assert ack["envelope_id"] == envelope["envelope_id"]
        return ack

    def stop(self) -> None:
        self.send.put(None)
        self.server.shutdown()


@pytest.fixture
def slack_end(standin):
    end = SlackSocketEnd()
    standin.app_token = APP_TOKEN
    standin.socket_url = end.url
    yield end
    end.stop()


@pytest.fixture
def connected(configured, slack_end):
    """`incidentdesk chat slack-socket`'s loop, running until the test ends."""
    stop = threading.Event()
    runner = threading.Thread(
        target=socket_mode.run, args=(configured, APP_TOKEN), kwargs={"stop": stop}
    )
    runner.start()
    yield slack_end
    stop.set()
    runner.join(WAIT)


def events_api(event: dict, *, event_id: str, retry_attempt: int = 0) -> dict:
    body = json.loads(slack_fixtures.event_body(event, event_id=event_id))
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": "events_api",
        "accepts_response_payload": False,
        "retry_attempt": retry_attempt,
        "retry_reason": "timeout" if retry_attempt else "",
        "payload": body,
    }


def mention(text: str, channel: str) -> dict:
    return {
        "type": "app_mention",
        "user": "UADA",
        "text": f"<@UBOT000001> {text}",
        "ts": "1767259200.000200",
        "channel": channel,
        "event_ts": "1767259200.000200",
    }


@pytest.fixture
def incident_channel(configured, standin, declare, responder):
    responder.email = "ada@example.com"
    responder.save()
    standin.add_user("UADA", name="ada", email="ada@example.com")
    incident = declare()
    channel = standin.add_channel("inc-checkout", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    return incident, channel


def replies(standin, channel):
    return [
        c.args["text"] for c in standin.calls_to("chat.postMessage") if c.args["channel"] == channel
    ]


def test_a_command_over_socket_mode_is_acknowledged_and_changes_the_incident(
    connected, incident_channel, standin
):
    incident, channel = incident_channel
    envelope = events_api(mention("sev trivial", channel.id), event_id="Ev0SOCKET1")
    ack = connected.deliver(envelope)
    assert ack == {"envelope_id": envelope["envelope_id"]}
    [opened] = standin.calls_to("apps.connections.open")
    assert opened.authorization == f"Bearer {APP_TOKEN}"
    incident.refresh_from_db()
    assert incident.severity.key == "trivial"
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE).get()
    assert entry.source == "chat"
    record = InboundRecord.objects.get()
    assert (record.dedup_key, record.processed_at is not None) == ("Ev0SOCKET1", True)
    assert len(replies(standin, channel.id)) == 1


def test_an_envelope_sent_again_is_acknowledged_again_and_acted_on_once(
    connected, incident_channel, standin
):
    incident, channel = incident_channel
    first = events_api(mention("summary Card payments fail", channel.id), event_id="Ev0SOCKET2")
    again = events_api(
        mention("summary Card payments fail", channel.id), event_id="Ev0SOCKET2", retry_attempt=1
    )
    connected.deliver(first)
    connected.deliver(again)
    assert InboundRecord.objects.count() == 1
    assert len(replies(standin, channel.id)) == 1
    changes = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE)
    assert changes.count() == 1


def _socket_test_form(event):
    if event.values["title"] == "":
        raise ValidationError("must say what is broken", field="title")
    return {}


def submission(title: str, trigger: str) -> dict:
    return {
        "envelope_id": str(uuid.uuid4()),
        "type": "interactive",
        "accepts_response_payload": True,
        "payload": {
            "type": "view_submission",
            "team": {"id": "T0000000001", "domain": "example"},
            "user": {"id": "U2147483697", "username": "steve", "team_id": "T0000000001"},
            "api_app_id": "A0000000001",
            "trigger_id": trigger,
            "view": {
                "id": "V0000000042",
                "type": "modal",
                "callback_id": "socket_test_form",
                "private_metadata": "",
                "state": {
                    "values": {
                        "title": {"title": {"type": "plain_text_input", "value": title}},
                        "summary": {"summary": {"type": "plain_text_input", "value": None}},
                    }
                },
            },
        },
    }


def test_a_submitted_form_is_answered_in_its_acknowledgement(connected):
    handling.on_form("socket_test_form", _socket_test_form)
    refused = connected.deliver(submission("", trigger="1.2.refused"))
    assert refused["payload"]["response_action"] == "errors"
    assert list(refused["payload"]["errors"]) == ["title"]
    accepted = connected.deliver(submission("Checkout fails", trigger="1.2.accepted"))
    assert accepted == {"envelope_id": accepted["envelope_id"]}
    records = InboundRecord.objects.order_by("pk")
    assert [bool(r.error) for r in records] == [True, False]
    assert all(r.processed_at for r in records)


def test_an_unreadable_envelope_is_acknowledged_and_nothing_stored(connected):
    envelope = events_api({"type": "app_mention", "text": "hi"}, event_id="Ev0BAD")
    ack = connected.deliver(envelope)
    assert ack == {"envelope_id": envelope["envelope_id"]}
    assert not InboundRecord.objects.exists()


def test_the_command_takes_a_slash_command_and_runs_until_interrupted(
    configured, slack_end, settings
):
    settings.SLACK_APP_TOKEN = APP_TOKEN
    envelope = {
        "envelope_id": str(uuid.uuid4()),
        "type": "slash_commands",
        "payload": {
            "command": "/incident",
            "text": "Checkout fails",
            "user_id": "U2147483697",
            "channel_id": "C2147483705",
            "trigger_id": "2.2.2",
        },
    }
    acks = []

    def deliver_then_interrupt():
        try:
            acks.append(slack_end.deliver(envelope))
        finally:
            os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=deliver_then_interrupt, daemon=True).start()
    call_command("chat", "slack-socket")
    assert acks and acks[0]["envelope_id"] == envelope["envelope_id"]
    assert InboundRecord.objects.get().kind == "declare"


def test_the_command_needs_the_app_token(configured, settings):
    settings.SLACK_APP_TOKEN = ""
    with pytest.raises(CommandError, match="SLACK_APP_TOKEN: .*app-level token") as refused:
        call_command("chat", "slack-socket")
    assert refused.value.returncode == 2

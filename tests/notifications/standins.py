"""Real HTTP services on loopback standing in for push and SMS providers, and a way to send one
event to one address through a channel kind with the real engine (emit, fan-out, delivery)."""

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidentdesk.notifications import registry, tasks
from incidentdesk.notifications.models import Delivery
from incidentdesk.notifications.outbox import emit

TOPIC = "test.channel_notice"


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes

    def json(self):
        return json.loads(self.body)


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict = b""
    headers: dict = field(default_factory=dict)


class StandIn:
    """An HTTP server on loopback. Queued `replies` answer first, then `answer(request)`
    decides; every request is kept. While `stalled` is set, requests wait unanswered."""

    def __init__(self, answer: Callable[[Request], Reply] = lambda request: Reply()):
        self.answer = answer
        self.replies: list[Reply] = []
        self.requests: list[Request] = []
        self.stalled = threading.Event()
        self.released = threading.Event()
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                request = Request("POST", self.path, dict(self.headers), body)
                standin.requests.append(request)
                if standin.stalled.is_set():
                    standin.released.wait(10)
                reply = standin.replies.pop(0) if standin.replies else standin.answer(request)
                payload = reply.body
                if isinstance(payload, dict):
                    payload = json.dumps(payload).encode()
                    reply.headers.setdefault("Content-Type", "application/json")
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self):
        self.released.set()
        self.server.shutdown()
        self.server.server_close()


@dataclass
class Addressed:
    """The test's audience: whoever the event's `to` names, by the kind it names."""

    name: str = "test.addressed"

    def recipients(self, event):
        kind, address = event.payload["to"]
        return [registry.Recipient(kind, address, "someone")]

    def standing(self, references):
        return {ref: registry.Standing() for ref in references}


@pytest.fixture
def send(db, settings):
    """`send(kind, address, words) -> Delivery`: one event carrying `words` for `kind`, emitted
    to `address`, fanned out and delivered once by the engine; the delivery as it ends."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True  # the stand-ins listen on loopback
    settings.WEBHOOKS_ALLOW_HTTP = True
    saved = (dict(registry._audiences), dict(registry._topic_audience))
    registry.register_audience(Addressed(), topics=[TOPIC])

    def deliver(kind: str, address: str, words: dict | None) -> Delivery:
        payload: dict = {"to": [kind, address]}
        if words is not None:
            payload[kind] = words
        event = emit(topic=TOPIC, payload=payload, to_subscribers=True)
        tasks.fan_out.call_local(event.pk)
        tasks.deliver.call_local()
        return Delivery.objects.get(event=event)

    yield deliver
    for live, copy in zip((registry._audiences, registry._topic_audience), saved, strict=True):
        live.clear()
        live.update(copy)

"""Real outside services on loopback: an SMTP server (aiosmtpd) and an HTTP receiver that
checks webhook signatures, plus helpers to subscribe and publish through the services."""

import email
import hashlib
import hmac
import json
import threading
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import subscriber_tokens as tokens
from incidentdesk.statuspage.services import publication_create
from incidentdesk.statuspage.subscribers import subscriber_confirm, subscriber_subscribe
from tests.factories import ComponentFactory
from tests.processes import free_port

WEB = ActionSource.WEB


class Inbox:
    """An aiosmtpd handler keeping every message it receives, parsed."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpts, m in self.messages if address in rcpts]

    def updates(self, address: str) -> list[email.message.EmailMessage]:
        """Messages to `address` other than the subscription's confirmation request."""
        return [m for m in self.to(address) if "Confirm your subscription" not in m["Subject"]]

    def recipients(self) -> set[str]:
        return {a for rcpts, _ in self.messages for a in rcpts}


def start_smtp(port: int | None = None) -> tuple[Controller, Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port())
    controller.start()
    return controller, inbox


@pytest.fixture
def mail_settings(db, settings):
    """Real SMTP delivery, to a port the test chooses (see `smtp`)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    settings.BASE_URL = "https://status.example.com"
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.SUBSCRIBE_RATE_LIMIT = 10_000
    return settings


@pytest.fixture
def smtp(mail_settings):
    controller, inbox = start_smtp(mail_settings.EMAIL_PORT)
    yield inbox
    controller.stop()


class Receiver:
    """A webhook receiver on loopback. Answers with the queued statuses (then 200) and keeps
    every request, with whether its signature verified for the secret of its path."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.secrets: dict[str, str] = {}  # path → secret
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver.lock:
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "verified": receiver.verify(self.path, self.headers, body),
                            "status": status,
                        }
                    )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str = "/hook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def verify(self, path: str, headers, body: bytes) -> bool:
        """Check the signature the way docs/notifications.md tells receivers to."""
        secret = self.secrets.get(path)
        header = headers.get("X-IncidentDesk-Signature", "")
        parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
        if not secret or "t" not in parts or "v1" not in parts:
            return False
        expected = hmac.new(
            secret.encode(), parts["t"].encode() + b"." + body, hashlib.sha256
        ).hexdigest()
        return hmac.compare_digest(expected, parts["v1"])

    def delivered(self) -> list[dict]:
        return [r for r in self.requests if 200 <= r["status"] < 300]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver(mail_settings):
    server = Receiver()
    yield server
    server.stop()


@pytest.fixture
def components(db):
    return {name: ComponentFactory(name=name) for name in ("API", "Website", "Billing")}


@pytest.fixture
def subscribe(db, mail_settings, django_capture_on_commit_callbacks):
    """`subscribe(email=…, components=[…], confirm=True)` through the services; for webhooks
    `subscribe(url=…, receiver=…)` also tells the receiver the secret to verify with."""

    def make(*, email=None, url=None, components=(), confirm=True, receiver=None, ip="192.0.2.1"):
        with django_capture_on_commit_callbacks(execute=True):
            subscriber = subscriber_subscribe(
                source=WEB,
                ip=ip,
                email=email,
                url=url,
                component_ids=[c.public_id for c in components] or None,
            )
        if email and confirm:
            subscriber_confirm(token=tokens.make_token(subscriber.pk, tokens.CONFIRM))
            subscriber.refresh_from_db()
        if receiver is not None:
            path = url.split(str(receiver.port), 1)[1]
            receiver.secrets[path] = subscriber.webhook_secret
        return subscriber

    return make


@pytest.fixture
def publish(declare, responder, django_capture_on_commit_callbacks):
    """Publish a new incident affecting `components` ({component: status}); runs the commit
    callbacks, so (with tasks inline) the fan-out and delivery happen before it returns."""

    def make(affected: dict | None = None, *, name="Payments are failing", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            incident = declare()
            publication = publication_create(
                actor=responder,
                source=WEB,
                incident=incident,
                name=name,
                message="We are looking into failed card payments.",
                components={c.public_id: s for c, s in (affected or {}).items()},
                **kwargs,
            )
        return publication

    return make


def body(request: dict) -> dict:
    return json.loads(request["body"])

"""The responders desk hears about every new incident, through a real SMTP server."""

import email
import socket
from datetime import timedelta
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_declare, role_assign

WEB = ActionSource.WEB


class Inbox:
    """An aiosmtpd handler keeping every message it receives."""

    def __init__(self):
        self.messages: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def recipients(self) -> set[str]:
        return {address for rcpts, _ in self.messages for address in rcpts}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def smtp_inbox(settings):
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = False
    settings.BASE_URL = "https://desk.example.com"
    yield inbox
    controller.stop()


@pytest.fixture
def desk(make_user):
    return [
        make_user(username="dana", email="dana@example.com", on_responders_desk=True),
        make_user(username="dev", email="dev@example.com", on_responders_desk=True),
    ]


def test_declaring_emails_every_desk_member_and_nobody_else(
    smtp_inbox, desk, make_user, responder, django_capture_on_commit_callbacks
):
    make_user(username="away", email="away@example.com", on_responders_desk=True, is_active=False)
    lena = make_user(username="lena", first_name="Lena", last_name="Lind")
    ann = make_user(username="ann", first_name="Ann")
    bob = make_user(username="bob", first_name="Bob")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        incident = incident_declare(
            actor=responder,
            source=WEB,
            title="Checkout is failing",
            severity="critical",
            criteria=["immediate_response"],
            summary="Card payments fail with a 502 from the gateway.",
            tracker_url="https://tracker.example.com/OPS-42",
        )
        # Roles given in the same transaction are in the announcement, which runs after commit.
        for role, user in (("lead", lena), ("assignee", ann), ("assignee", bob)):
            role_assign(actor=responder, source=WEB, incident=incident, role=role, user=user)
    assert len(callbacks) == 1
    assert smtp_inbox.recipients() == {"dana@example.com", "dev@example.com"}
    assert len(smtp_inbox.messages) == 2  # one message each, so nobody sees the others
    _, message = smtp_inbox.messages[0]
    assert message["Subject"] == f"[Critical] {incident.reference} declared: Checkout is failing"
    body = message.get_content()
    assert "Card payments fail with a 502 from the gateway." in body
    assert "Lead:     Lena Lind" in body
    assert "Assignees: Ann, Bob" in body
    assert "Tracker:  https://tracker.example.com/OPS-42" in body
    assert f"https://desk.example.com/incidents/{incident.reference}" in body


def test_an_announcement_without_lead_or_tracker_says_so(
    smtp_inbox, desk, declare, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        declare()
    body = smtp_inbox.messages[0][1].get_content()
    assert "Lead:     not yet taken" in body
    assert "Assignees: none yet" in body
    assert "Tracker:  none yet" in body
    assert "No description yet." in body


def test_a_retrospective_incident_is_not_announced(
    smtp_inbox, desk, declare, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        declare(kind="retrospective", started_at=now - timedelta(days=2), resolved_at=now)
    assert callbacks == []
    assert smtp_inbox.messages == []


def test_a_refused_declaration_announces_nothing(
    smtp_inbox, desk, declare, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        declare(severity="unknown-level")
    assert smtp_inbox.messages == []

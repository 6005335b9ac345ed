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

    def about(self, words: str) -> list[tuple[list[str], email.message.EmailMessage]]:
        return [(rcpts, m) for rcpts, m in self.messages if words in m["Subject"]]


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
    with django_capture_on_commit_callbacks(execute=True):
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
    announcements = smtp_inbox.about(" declared: ")
    assert {r for rcpts, _ in announcements for r in rcpts} == {
        "dana@example.com",
        "dev@example.com",
    }
    assert "away@example.com" not in smtp_inbox.recipients()
    assert len(announcements) == 2  # one message each, so nobody sees the others
    _, message = announcements[0]
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


def test_a_retrospective_incident_is_announced_and_marked_as_such(
    smtp_inbox, desk, declare, django_capture_on_commit_callbacks
):
    now = timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare(
            kind="retrospective", started_at=now - timedelta(days=2), resolved_at=now
        )
    assert smtp_inbox.recipients() == {"dana@example.com", "dev@example.com"}
    _, message = smtp_inbox.messages[0]
    assert message["Subject"] == (
        f"[Major] {incident.reference} reported after the fact (retrospective): Checkout is failing"
    )
    assert "retrospective, already resolved" in message.get_content()


def test_a_refused_declaration_announces_nothing(
    smtp_inbox, desk, declare, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(ValidationError):
        declare(severity="unknown-level")
    assert smtp_inbox.messages == []


def test_an_assignee_who_joins_the_desk_is_told_what_the_incident_is_about(
    smtp_inbox, make_user, responder, django_capture_on_commit_callbacks
):
    lena = make_user(username="lena", first_name="Lena", last_name="Lind")
    ann = make_user(username="ann", first_name="Ann", email="ann@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        incident = incident_declare(
            actor=responder,
            source=WEB,
            title="Checkout is failing",
            severity="critical",
            criteria=["immediate_response"],
            summary="Card payments fail with a 502 from the gateway.",
            tracker_url="https://tracker.example.com/OPS-42",
        )
        role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=lena)
    with django_capture_on_commit_callbacks(execute=True):
        role_assign(actor=responder, source=WEB, incident=incident, role="assignee", user=ann)
    welcomes = smtp_inbox.about("you joined the desk")
    assert [rcpts for rcpts, _ in welcomes] == [["ann@example.com"]]
    body = welcomes[0][1].get_content()
    assert "Card payments fail with a 502 from the gateway." in body
    assert "Lead:     Lena Lind" in body
    assert "Assignees: Ann" in body
    assert "Tracker:  https://tracker.example.com/OPS-42" in body
    assert f"https://desk.example.com/incidents/{incident.reference}" in body


def test_the_desk_is_told_when_the_lead_severity_or_status_changes_but_not_who_changed_it(
    smtp_inbox, desk, make_user, declare, responder, django_capture_on_commit_callbacks
):
    from incidentdesk.incidents.services import incident_set_status, incident_update

    ann = make_user(username="ann", first_name="Ann", email="ann@example.com")
    lena = make_user(username="lena", first_name="Lena")
    with django_capture_on_commit_callbacks(execute=True):
        incident = declare()
        role_assign(actor=responder, source=WEB, incident=incident, role="assignee", user=ann)
    smtp_inbox.messages.clear()
    with django_capture_on_commit_callbacks(execute=True):
        role_assign(actor=responder, source=WEB, incident=incident, role="lead", user=lena)
        incident_update(
            actor=responder, source=WEB, incident=incident, changes={"severity": "critical"}
        )
        incident_set_status(actor=lena, source=WEB, incident=incident, status="identified")
    seated = {"dana@example.com", "dev@example.com", "ann@example.com"}
    lead = smtp_inbox.about("has a new lead, Lena")
    severity = smtp_inbox.about("is now Critical")
    status = smtp_inbox.about("is identified")
    for told in (lead, severity, status):
        assert {r for rcpts, _ in told for r in rcpts} == seated
    assert "Lead: nobody → Lena" in lead[0][1].get_content()
    assert "Severity: Major → Critical" in severity[0][1].get_content()
    assert "Status: investigating → identified" in status[0][1].get_content()
    assert responder.email not in smtp_inbox.recipients()


def test_desk_members_are_shown_on_the_incident_page_and_in_the_api(
    desk, make_user, declare, responder, client, api_client
):
    ann = make_user(username="ann", first_name="Ann", email="ann@example.com")
    incident = declare()
    role_assign(actor=responder, source=WEB, incident=incident, role="assignee", user=ann)
    client.force_login(responder)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    desk_html = page[page.index('id="desk"') :]
    for name in ("dana", "dev", "Ann"):
        assert name in desk_html
    body = api_client(responder).call("GET", f"/incidents/{incident.reference}").json_body
    assert [(m["username"], m["seat"]) for m in body["desk"]] == [
        ("dana", "responders desk"),
        ("dev", "responders desk"),
        ("ann", "assignee"),
    ]

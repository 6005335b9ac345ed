"""`incidentdesk intake email`: one message on standard input becomes a report in the triage
queue (once, however often it is piped), is acknowledged over real SMTP under its reference,
and later replies join its thread; robots are not answered and garbage is refused."""

import io
import subprocess
import sys
from pathlib import Path

import pytest

from incidentdesk.alerts import reports
from incidentdesk.alerts.models import Report, ReportReply, ReportStatus
from incidentdesk.alerts.services import integration_create, integration_revoke
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.notifications.models import OutboxEvent
from tests.alerts import mails
from tests.notifications.conftest import start_smtp
from tests.processes import free_port, incidentdesk

CLI = ActionSource.CLI
pytestmark = pytest.mark.django_db


@pytest.fixture
def help_desk(admin):
    integration, _ = integration_create(actor=admin, source=CLI, kind="email", name="help")
    return integration


@pytest.fixture
def inbox(settings):
    """A real SMTP server on loopback that the email channel delivers to."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    settings.EMAIL_USE_TLS, settings.EMAIL_TIMEOUT = False, 5
    settings.BASE_URL = "https://desk.example.com"
    controller, received = start_smtp(settings.EMAIL_PORT)
    yield received
    controller.stop()


@pytest.fixture
def pipe(cli, monkeypatch):
    """`pipe(raw, *args)` runs `incidentdesk intake email` with `raw` bytes on stdin."""

    def run(raw: bytes, *args: str):
        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
        return cli("intake", "email", *args)

    return run


def test_a_piped_message_becomes_a_new_report_with_its_sender_subject_and_text(pipe, help_desk):
    run = pipe(mails.alternative())
    report = Report.objects.get()
    assert run.code == 0 and run.out.strip() == f"stored as {report.reference}"
    assert report.status == ReportStatus.NEW and report.integration == help_desk
    assert (report.sender_name, report.sender_address) == ("Ana María López", "ana@example.org")
    assert report.subject == "Checkout fails with “payment declined”"
    assert "declined — three of our" in report.text
    assert report.message_id == "<c0ffee01@mail.example.org>"


def test_the_same_message_piped_twice_is_one_report(pipe, help_desk):
    assert pipe(mails.with_attachments()).code == 0
    again = pipe(mails.with_attachments())
    report = Report.objects.get()
    assert again.code == 0 and again.out.strip() == f"already stored ({report.reference})"
    assert [a["name"] for a in report.attachments] == [
        "invoice-2026-11.pdf",
        "Bildschirmfoto übersicht.png",
    ]


@pytest.mark.parametrize("raw", [mails.auto_reply(), mails.bounce()])
def test_auto_replies_and_bounces_are_ignored_with_exit_0_and_nothing_stored(pipe, help_desk, raw):
    run = pipe(raw)
    assert run.code == 0 and run.out.startswith("ignored: ")
    assert not Report.objects.exists() and not OutboxEvent.objects.exists()


def test_machine_sent_mail_is_stored_but_never_acknowledged(pipe, help_desk):
    raw = mails.latin1().replace(
        b"MIME-Version", b"Auto-Submitted: auto-generated\r\nMIME-Version", 1
    )
    assert pipe(raw).code == 0
    report = Report.objects.get()
    assert report.automatic == "Auto-Submitted: auto-generated"
    assert report.acknowledgement_id == "" and not OutboxEvent.objects.exists()


def test_mail_from_our_own_address_is_not_acknowledged(pipe, help_desk, settings):
    settings.INTAKE_EMAIL_ADDRESS = "ana@example.org"
    assert pipe(mails.alternative()).code == 0
    assert not OutboxEvent.objects.exists()
    assert Report.objects.get().automatic == "sent from IncidentDesk's own address"


def test_one_address_is_acknowledged_at_most_five_times_an_hour(pipe, help_desk):
    for n in range(7):
        raw = mails.reply(message_id=f"<flood-{n}@mail.example.org>", subject=f"Help {n}")
        assert pipe(raw).code == 0
    assert OutboxEvent.objects.count() == 5  # the reports are all kept
    last = Report.objects.order_by("pk").last()
    assert Report.objects.count() == 7 and last.acknowledgement_id == ""
    assert last.automatic == "5 acknowledgements went to this address within the hour"


@pytest.mark.parametrize(
    ("raw", "said"),
    [
        (b"", "error: refused: message: the message is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\xff\xfe", "error: refused: message: no header"),
        (b"Subject: hi\r\n\r\nwho am I\r\n", "error: refused: From: the message has no sender"),
    ],
)
def test_unparseable_input_exits_65_with_one_clear_line_and_stores_nothing(
    pipe, help_desk, raw, said
):
    run = pipe(raw)
    assert run.code == 65
    assert run.err.startswith(said) and run.err.count("\n") == 1 and "Traceback" not in run.err
    assert not Report.objects.exists()


def test_an_oversized_message_is_refused_naming_the_limit(pipe, help_desk, settings):
    settings.INTAKE_EMAIL_MAX_BYTES = 2_000
    run = pipe(mails.with_attachments() + b"x" * 2_000)
    assert run.code == 65 and "over 2000 bytes" in run.err and not Report.objects.exists()


def test_the_integration_is_the_only_one_or_named_by_key_id_or_name(pipe, admin, help_desk):
    other, _ = integration_create(actor=admin, source=CLI, kind="email", name="security")
    run = pipe(mails.latin1())
    assert run.code == 67 and "several email integrations" in run.err
    assert pipe(mails.latin1(), "--integration", "security").code == 0
    assert pipe(mails.iso_2022_jp(), "--integration", help_desk.key_id).code == 0
    assert {r.integration.name for r in Report.objects.all()} == {"security", "help"}
    run = pipe(mails.alternative(), "--integration", "nope")
    assert run.code == 67 and "no live email integration" in run.err


def test_without_a_live_email_integration_the_mail_is_refused_with_exit_67(pipe, admin):
    integration_create(actor=admin, source=CLI, kind="alertmanager", name="prom")
    run = pipe(mails.alternative())
    assert run.code == 67 and "incidentdesk integration create --kind email" in run.err
    mailbox, _ = integration_create(actor=admin, source=CLI, kind="email", name="help")
    integration_revoke(actor=admin, source=CLI, integration_id=mailbox.pk)
    assert pipe(mails.alternative()).code == 67 and not Report.objects.exists()


def _acknowledgement(inbox, address):
    [message] = inbox.to(address)
    return message


def test_the_sender_gets_an_acknowledgement_threaded_under_their_message(
    pipe,
    help_desk,
    inbox,
    settings,
    django_capture_on_commit_callbacks,
):
    settings.INTAKE_EMAIL_ADDRESS = "help@desk.example.com"
    with django_capture_on_commit_callbacks(execute=True):
        assert pipe(mails.alternative()).code == 0
    report = Report.objects.get()
    ack = _acknowledgement(inbox, "ana@example.org")
    assert ack["Subject"].strip().startswith(f"[{report.reference}] Received: Checkout fails")
    assert report.reference in ack.get_content()
    assert ack["In-Reply-To"] == report.message_id == ack["References"]
    assert ack["Message-ID"] == report.acknowledgement_id
    assert ack["Reply-To"] == "help@desk.example.com"
    assert ack["Auto-Submitted"] == "auto-generated"


def test_a_reply_to_the_acknowledgement_joins_the_report_in_triage(
    pipe,
    help_desk,
    inbox,
    django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        pipe(mails.alternative())
    ack = _acknowledgement(inbox, "ana@example.org")
    run = pipe(mails.reply(in_reply_to=ack["Message-ID"]))
    report = Report.objects.get()
    assert run.code == 0 and run.out.strip() == f"added to {report.reference}"
    reply = ReportReply.objects.get()
    assert reply.report == report and reply.incident is None
    assert reply.text.startswith("It works again for card payments")
    assert len(inbox.messages) == 1  # a reply is not acknowledged again


def test_replies_after_declaring_join_the_incidents_timeline_by_header_or_reference(
    pipe, help_desk, responder
):
    pipe(mails.alternative())
    report = Report.objects.get()
    pipe(mails.reply(in_reply_to=report.message_id, message_id="<early@mail.example.org>"))
    incident = reports.report_declare(
        actor=responder, source=ActionSource.WEB, report_id=report.pk, severity="major"
    )
    # The reply that came while it was in triage goes along with the report.
    entries = TimelineEntry.objects.filter(incident=incident, data__report=report.pk)
    assert entries.count() == 2
    token = mails.reply(
        subject=f"Re: [{report.reference}] Received: Checkout fails",
        message_id="<later@mail.example.org>",
        text="Now vouchers fail too.",
    )
    run = pipe(token)
    assert (
        run.code == 0 and run.out.strip() == f"added to {report.reference}, on {incident.reference}"
    )
    entry = TimelineEntry.objects.filter(incident=incident).latest("id")
    assert entry.kind == "discussion" and entry.source == "alert"
    assert (
        "Email from Ana <ana@example.org>" in entry.body
        and "> Now vouchers fail too." in entry.body
    )


def test_someone_else_quoting_a_reference_starts_a_new_report_not_a_reply(pipe, help_desk):
    pipe(mails.alternative())
    first = Report.objects.get()
    run = pipe(
        mails.reply(
            subject=f"Re: [{first.reference}] Received",
            sender="mallory@example.net",
            in_reply_to=first.message_id,
        )
    )
    assert run.code == 0 and run.out.startswith("stored as ")
    assert Report.objects.count() == 2 and not ReportReply.objects.exists()


# As a mail server runs it -------------------------------------------------------------------


def _mta(env, raw: bytes):
    """`incidentdesk intake email` as a real process, the message on its stdin as bytes."""
    return subprocess.run(
        [sys.executable, "-m", "incidentdesk", "intake", "email"],
        env=env,
        input=raw,
        capture_output=True,
        timeout=120,
        cwd=Path(env["INCIDENTDESK_DATA_DIR"]).parent,
    )


def test_a_mail_server_piping_to_the_real_command_gets_sysexits_codes_and_no_traceback(own_env):
    unreachable = {**own_env, "DATABASE_URL": f"postgres://x:y@127.0.0.1:{free_port()}/none"}
    run = _mta(unreachable, mails.alternative())
    assert run.returncode == 75, run.stderr  # the mail server keeps it and tries again
    assert run.stderr.decode().startswith("error: not stored, try again later: ")
    assert incidentdesk(own_env, "migrate", "-v0").returncode == 0
    assert _mta(own_env, mails.alternative()).returncode == 67  # no email integration yet
    created = incidentdesk(
        own_env, "user", "create", "--username", "ada", "--email", "ada@example.com",
        stdin="correct-horse-battery-staple",
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    made = incidentdesk(
        own_env, "integration", "create", "--kind", "email", "--name", "help", "--as", "ada"
    )
    assert made.returncode == 0, made.stderr
    stored = _mta(own_env, mails.iso_2022_jp())
    assert stored.returncode == 0 and stored.stdout.decode().strip() == "stored as R-1"
    for garbage in (b"\xff\xfe\x00garbage\x80", b""):
        refused = _mta(own_env, garbage)
        lines = refused.stderr.decode().splitlines()
        assert refused.returncode == 65 and len(lines) == 1 and lines[0].startswith("error: ")
    assert _mta(own_env, mails.auto_reply()).returncode == 0


def test_control_characters_anywhere_in_a_message_are_stored_safely(pipe, help_desk):
    raw = (
        b"From: Eve\x00 <eve@example.org>\r\nSubject: null\x00 byte\x07\r\n"
        b"Message-ID: <nul\x00@example.org>\r\nContent-Type: text/plain\r\n\r\n"
        b"body with \x00 and \x1b[31m escapes\r\n"
    )
    run = pipe(raw)
    assert run.code == 0, run.err
    report = Report.objects.get()
    assert "\x00" not in report.subject + report.text + report.sender_name + report.message_id
    assert report.sender_address == "eve@example.org" and "escapes" in report.text
    attached = (
        b"From: eve@example.org\r\nSubject: file\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
        b"Content-Type: text/plain\r\n\r\nsee file\r\n--b\r\n"
        b'Content-Type: application/x-\x00odd; name="a\x00b.bin"\r\n'
        b'Content-Disposition: attachment; filename="a\x00b.bin"\r\n\r\nxyz\r\n--b--\r\n'
    )
    assert pipe(attached).code == 0
    [attachment] = Report.objects.get(subject="file").attachments
    assert "\x00" not in attachment["name"] + attachment["type"]
    run = pipe(b"From: <ev\x00e@example.org>\r\nSubject: x\r\n\r\nbody\r\n")
    assert run.code == 65 and "no sender address" in run.err

"""Polling a real IMAP server (Dovecot on loopback): unseen messages become reports and are
marked seen only after they are stored, so nothing is lost and nothing is stored twice."""

import threading

import pytest
from django.db import connection

from incidentdesk.alerts import imap
from incidentdesk.alerts.models import Report
from incidentdesk.alerts.services import integration_create, integration_revoke
from incidentdesk.core.sources import ActionSource
from tests.alerts import mails
from tests.alerts.dovecot import Dovecot

pytestmark = pytest.mark.django_db
SEEN = r"\Seen"


@pytest.fixture(scope="module")
def server():
    dovecot = Dovecot()
    yield dovecot
    dovecot.stop()


@pytest.fixture
def mailbox(server, settings):
    """The server's inbox, emptied for the test, as INTAKE_IMAP_URL."""
    client = server.client()
    _, [count] = client.select("INBOX")
    if int(count):
        client.store("1:*", "+FLAGS.SILENT", r"(\Deleted)")
        client.expunge()
    client.logout()
    settings.INTAKE_IMAP_URL = server.url()
    return server


@pytest.fixture
def help_desk(admin):
    integration, _ = integration_create(
        actor=admin, source=ActionSource.CLI, kind="email", name="help"
    )
    return integration


def test_unseen_messages_become_reports_and_are_then_marked_seen(mailbox, help_desk):
    mailbox.deliver(mails.alternative(), mails.html_only(), mails.auto_reply())
    result = imap.poll()
    assert (result.stored, result.ignored, result.left) == (2, 1, 0)
    assert {r.sender_address for r in Report.objects.all()} == {
        "ana@example.org",
        "jens.bauer@example.de",
    }
    assert all(SEEN in flags for flags in mailbox.flags())
    assert imap.poll().stored == 0  # nothing unseen is left


def test_a_message_someone_already_read_is_not_taken(mailbox, help_desk):
    mailbox.deliver(mails.latin1(), mails.iso_2022_jp())
    client = mailbox.client()
    client.select("INBOX")
    client.store("1", "+FLAGS", r"(\Seen)")  # the first message in the inbox
    client.logout()
    assert imap.poll().stored == 1
    assert Report.objects.get().subject == "【至急】ログインできません"


def test_a_poll_stopped_before_marking_takes_the_message_again_without_a_second_report(
    mailbox, help_desk
):
    mailbox.deliver(mails.with_attachments())
    assert imap.poll().stored == 1
    # What a worker killed between storing and marking leaves: the message unseen again.
    client = mailbox.client()
    client.select("INBOX")
    client.uid("STORE", "1:*", "-FLAGS", r"(\Seen)")
    client.logout()
    again = imap.poll()
    assert (again.stored, again.duplicate) == (0, 1)
    assert Report.objects.count() == 1 and mailbox.flags() == [{SEEN}]


def test_a_message_that_could_not_be_stored_stays_unseen_for_the_next_poll(
    mailbox, help_desk, admin
):
    mailbox.deliver(mails.alternative())
    integration_revoke(actor=admin, source=ActionSource.CLI, integration_id=help_desk.pk)
    result = imap.poll(integration=help_desk)  # the poll began before the revocation
    assert result.left == 1 and not Report.objects.exists()
    assert mailbox.flags() == [set()]


def test_malformed_and_oversized_messages_are_refused_marked_seen_and_kept(
    mailbox, help_desk, settings
):
    settings.INTAKE_EMAIL_MAX_BYTES = 3_000
    mailbox.deliver(
        b"Subject: no sender at all\r\n\r\nhello\r\n",
        mails.with_attachments() + b"x" * 3_000,
        mails.latin1(),
    )
    result = imap.poll()
    assert (result.refused, result.stored) == (2, 1)
    assert mailbox.flags() == [{SEEN}, {SEEN}, {SEEN}]  # still there, for a person to read


def test_the_periodic_task_polls_the_configured_mailbox(mailbox, help_desk):
    mailbox.deliver(mails.forwarded())
    imap.imap_tick.call_local()
    assert Report.objects.get().sender_address == "support@example.com"


def test_intake_imap_polls_once_and_a_refused_login_exits_2_with_one_line(
    mailbox, help_desk, cli, settings
):
    mailbox.deliver(mails.latin1())
    run = cli("intake", "imap")
    assert run.code == 0 and run.out.strip().startswith("IMAP poll: stored 1,")
    settings.INTAKE_IMAP_URL = mailbox.url(password="wrong")
    run = cli("intake", "imap")
    assert run.code == 2 and run.err.startswith("error: cannot read help@127.0.0.1")
    assert "Traceback" not in run.err and run.err.count("\n") == 1


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://help@host/INBOX", "use imaps://"),
        ("imaps://host/INBOX", "give the host and the user"),
        ("imaps://help@host:99999/", "not a URL"),
    ],
)
def test_a_mailbox_url_that_is_not_one_is_refused_naming_the_setting(url, problem):
    with pytest.raises(imap.ValidationError, match=problem) as refused:
        imap.mailbox(url)
    assert refused.value.field == "INTAKE_IMAP_URL"


def test_imaps_checks_the_servers_certificate(help_desk, monkeypatch, settings):
    server = Dovecot(tls=True)
    try:
        server.deliver(mails.alternative())
        settings.INTAKE_IMAP_URL = server.url()
        with pytest.raises(imap.ImapError, match="CERTIFICATE_VERIFY_FAILED"):
            imap.poll()
        monkeypatch.setenv("SSL_CERT_FILE", server.certificate)  # trusted as a CA would be
        assert imap.poll().stored == 1
    finally:
        server.stop()


@pytest.mark.django_db(transaction=True)
def test_two_workers_polling_at_once_store_each_message_once(mailbox, admin):
    integration_create(actor=admin, source=ActionSource.CLI, kind="email", name="help")
    raws = [
        mails.reply(
            message_id=f"<race-{n}@mail.example.org>",
            subject=f"Race {n}",
            sender=f"p{n}@example.org",
        )
        for n in range(8)
    ]
    mailbox.deliver(*raws)
    results: list = []
    start = threading.Barrier(2)

    def worker():
        start.wait()
        try:
            results.append(imap.poll())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 2, "a poller failed"
    assert Report.objects.count() == 8
    assert sum(r.stored for r in results) == 8 and sum(r.left for r in results) == 0
    assert all(SEEN in flags for flags in mailbox.flags())

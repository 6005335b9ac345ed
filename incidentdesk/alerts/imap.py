"""Polling an IMAP mailbox for reports, when `INTAKE_IMAP_URL` names one.

Each poll takes the mailbox's unseen messages, oldest first. A message is fetched without
marking it (`BODY.PEEK[]`) and marked `\\Seen` only once it is stored (or known: a duplicate,
an ignored auto-reply, a message refused as malformed or oversized, which stays in the mailbox
for a person to read). A poll that dies between the two finds the message again next time,
and the Message-ID makes it a duplicate: nothing is lost and nothing is stored twice. A message
that could not be stored for another reason (the database is away) is left unseen for the next
poll. Nothing is deleted or moved.

The worker polls every `INTAKE_IMAP_POLL_SECONDS`; `incidentdesk intake imap` polls once.
"""

import contextlib
import imaplib
import logging
import re
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit

from django.conf import settings
from huey import crontab
from huey.contrib.djhuey import HUEY, db_periodic_task, db_task

from incidentdesk.alerts import mail, reports
from incidentdesk.alerts.models import Integration
from incidentdesk.core.errors import IncidentDeskError, ValidationError

logger = logging.getLogger(__name__)
TIMEOUT_SECONDS = 30
_SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


@dataclass(frozen=True)
class Mailbox:
    tls: bool
    host: str
    port: int
    user: str
    password: str = field(repr=False)
    folder: str


def mailbox(url: str) -> Mailbox:
    """The mailbox `url` names (`imaps://user:password@host[:port]/folder`, or `imap://`),
    refused naming INTAKE_IMAP_URL when it is not one."""
    name = "INTAKE_IMAP_URL"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise ValidationError(f"not a URL: {exc}", field=name) from None
    if parts.scheme not in ("imap", "imaps"):
        raise ValidationError("use imaps://user:password@host/INBOX (or imap://)", field=name)
    if not parts.hostname or not parts.username:
        raise ValidationError("give the host and the user: imaps://user:password@host/", field=name)
    tls = parts.scheme == "imaps"
    return Mailbox(
        tls=tls,
        host=parts.hostname,
        port=port or (993 if tls else 143),
        user=unquote(parts.username),
        password=unquote(parts.password or ""),
        folder=unquote(parts.path.lstrip("/")) or "INBOX",
    )


@dataclass
class Poll:
    """What one poll did, message by message (counts by outcome)."""

    stored: int = 0
    reply: int = 0
    duplicate: int = 0
    ignored: int = 0
    refused: int = 0
    left: int = 0  # not stored for a passing reason: fetched again next time

    def line(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in vars(self).items())


class ImapError(IncidentDeskError):
    """The mailbox could not be read (unreachable, refused the login, no such folder)."""


def poll(*, url: str | None = None, integration: Integration | None = None) -> Poll:
    """Take the unseen messages of the mailbox (see the module docstring)."""
    box = mailbox(url if url is not None else settings.INTAKE_IMAP_URL)
    integration = integration or reports.email_integration(settings.INTAKE_IMAP_INTEGRATION)
    result = Poll()
    try:
        connection = _connect(box)
    except (OSError, imaplib.IMAP4.error, ssl.SSLError) as exc:
        raise ImapError(f"cannot read {box.user}@{box.host}:{box.port}: {exc}") from None
    try:
        status, found = connection.uid("SEARCH", "UNSEEN")
        _ok(status, found, "SEARCH UNSEEN")
        for uid in found[0].decode().split():
            _take(connection, uid, integration, result)
    except (OSError, imaplib.IMAP4.error) as exc:
        raise ImapError(f"the mailbox failed mid-poll: {exc}") from None
    finally:
        with contextlib.suppress(Exception):  # already gone
            connection.logout()
    return result


def _connect(box: Mailbox) -> imaplib.IMAP4:
    if box.tls:
        connection: imaplib.IMAP4 = imaplib.IMAP4_SSL(
            box.host, box.port, ssl_context=ssl.create_default_context(), timeout=TIMEOUT_SECONDS
        )
    else:
        connection = imaplib.IMAP4(box.host, box.port, timeout=TIMEOUT_SECONDS)
    connection.login(box.user, box.password)
    status, data = connection.select(_quoted(box.folder))
    if status != "OK":
        connection.logout()
        raise imaplib.IMAP4.error(f"no folder {box.folder!r}: {data[0]!r}")
    return connection


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _ok(status: str, data, what: str) -> None:
    if status != "OK":
        raise imaplib.IMAP4.error(f"{what} answered {status}: {data!r}")


def _take(connection: imaplib.IMAP4, uid: str, integration: Integration, result: Poll) -> None:
    """Fetch, store, then mark one message seen."""
    status, data = connection.uid("FETCH", uid, "(RFC822.SIZE)")
    _ok(status, data, "FETCH RFC822.SIZE")
    size = _SIZE.search(b" ".join(d if isinstance(d, bytes) else d[0] for d in data if d))
    if size and int(size.group(1)) > settings.INTAKE_EMAIL_MAX_BYTES:
        logger.warning("IMAP message %s is over %s bytes; left unread in the mailbox",
                       uid, settings.INTAKE_EMAIL_MAX_BYTES)  # fmt: skip
        result.refused += 1
        _seen(connection, uid)
        return
    status, data = connection.uid("FETCH", uid, "(BODY.PEEK[])")
    _ok(status, data, "FETCH BODY.PEEK[]")
    raw = next((d[1] for d in data if isinstance(d, tuple)), None)
    if raw is None:  # expunged meanwhile by someone else
        return
    try:
        intake = reports.report_receive(integration=integration, raw=raw)
    except mail.MailError as exc:
        logger.warning("IMAP message %s refused (%s); left in the mailbox", uid, exc.detail)
        result.refused += 1
    except Exception:
        logger.exception("IMAP message %s was not stored; it is taken again next poll", uid)
        result.left += 1
        return
    else:
        setattr(result, intake.outcome, getattr(result, intake.outcome) + 1)
    _seen(connection, uid)


def _seen(connection: imaplib.IMAP4, uid: str) -> None:
    status, data = connection.uid("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")
    _ok(status, data, "STORE \\Seen")


# The worker --------------------------------------------------------------------------------


@db_task(priority=30)
def poll_now() -> None:
    """One poll, its failures logged (the next one tries again)."""
    if not settings.INTAKE_IMAP_URL:
        return
    try:
        result = poll()
    except IncidentDeskError as exc:
        logger.warning("IMAP poll: %s", exc.detail)
        return
    if result.stored or result.reply or result.refused or result.left:
        logger.info("IMAP poll: %s", result.line())


@db_periodic_task(crontab(), priority=30)
def imap_tick() -> None:
    """Every minute: poll as often as INTAKE_IMAP_POLL_SECONDS says (several times within
    the minute for less than 60, every few minutes for more)."""
    if not settings.INTAKE_IMAP_URL:
        return
    every = max(5, settings.INTAKE_IMAP_POLL_SECONDS)
    if every >= 60:
        if int(time.time() // 60) % round(every / 60) == 0:
            poll_now.call_local()
        return
    poll_now.call_local()
    if not HUEY.immediate:
        for delay in range(every, 60, every):
            poll_now.schedule(delay=delay)

"""Email: one SMTP connection (Django's configured backend) per batch.

Subscribers' emails carry a one-click unsubscribe link in the text and in the
`List-Unsubscribe` / `List-Unsubscribe-Post` headers (RFC 8058). Every message's Message-ID
is derived from its delivery key, so a message re-sent after a worker died mid-batch is
recognisably the same message (mail clients and our tests fold such copies into one)."""

import hashlib
import smtplib
from collections.abc import Iterator
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection

from incidentdesk.core.markdown import markdown_for_readers
from incidentdesk.notifications.channels import Outcome, describe
from incidentdesk.notifications.models import Delivery
from incidentdesk.notifications.tokens import unsubscribe_url

# Errors about one message; anything else means the connection itself is in trouble.
_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


def message_id(key: str) -> str:
    domain = urlsplit(settings.BASE_URL).hostname or "incidentdesk.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(delivery: Delivery, connection) -> EmailMessage:
    email = delivery.event.payload.get("email") or {}
    subject = " ".join(str(email.get("subject") or "Status update").split())
    # Text written as markdown may hold an image or raw HTML: a mail reader is given a link
    # and the HTML as text, never anything it loads.
    text = markdown_for_readers(str(email.get("text") or ""))
    headers = {
        "Message-ID": message_id(delivery.key),
        "Auto-Submitted": "auto-generated",
        "X-IncidentDesk-Delivery": delivery.key,
    }
    if delivery.subscriber_id:
        url = unsubscribe_url(delivery.subscriber)
        text = (
            f"{text.rstrip()}\n\n--\nYou receive this because you subscribed to these "
            f"status updates.\nUnsubscribe with one click: {url}\n"
        )
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.recipient],
        headers=headers,
        connection=connection,
    )
    invite = delivery.event.payload.get("ics")
    if invite:
        # A calendar invite (e.g. a root-cause meeting) travels as an attachment too.
        message.attach("invite.ics", invite, "text/calendar; method=REQUEST; charset=utf-8")
    return message


def _close(connection) -> None:
    try:
        connection.close()
    except Exception:  # a dead connection may fail to close; it is dropped either way
        connection.connection = None


class EmailChannel:
    def send(self, batch: list[Delivery]) -> Iterator[Outcome]:
        connection = get_connection()
        # Opened here, so send_messages keeps it open for the whole batch. `down` is set when
        # the server cannot be reached: the rest of the batch then waits for a later attempt.
        down = self._open(connection)
        try:
            for delivery in batch:
                if down:
                    yield Outcome(delivery, down)
                    continue
                try:
                    sent = connection.send_messages([build_message(delivery, connection)])
                except _MESSAGE_ERRORS as exc:
                    yield Outcome(delivery, describe(exc))
                    continue
                except (smtplib.SMTPException, OSError) as exc:
                    yield Outcome(delivery, describe(exc))
                    _close(connection)
                    down = self._open(connection)
                    continue
                yield Outcome(delivery, "" if sent else "the mail server did not accept it")
        finally:
            _close(connection)

    @staticmethod
    def _open(connection) -> str:
        """Open the connection; the reason it cannot be opened, or ''."""
        try:
            connection.open()
        except (smtplib.SMTPException, OSError) as exc:
            return f"mail server unreachable: {describe(exc)}"
        return ""

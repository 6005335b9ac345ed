"""Email: one SMTP connection (Django's configured backend) per batch.

What an email says comes from the renderer its topic registered for the `email` kind:
`{"subject", "text"}`, and optionally `"html"`, an HTML alternative the renderer wrote with an
autoescaping template (this channel adds nothing that loads: no images, no files, no links
other than the recipient's unsubscribe link). Recipients with an unsubscribe link (an
audience's subscribers) carry a one-click unsubscribe link in the text and in the
`List-Unsubscribe` / `List-Unsubscribe-Post` headers (RFC 8058). Every message's Message-ID
is derived from its delivery key, so a message re-sent after a worker died mid-batch is
recognisably the same message (mail clients and our tests fold such copies into one)."""

import hashlib
import smtplib
from collections.abc import Iterator
from urllib.parse import urlsplit

import nh3
from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.html import format_html

from incidentdesk.core.markdown import markdown_for_readers
from incidentdesk.notifications import registry
from incidentdesk.notifications.channels.base import Outcome, describe
from incidentdesk.notifications.models import Delivery

# Errors about one message; anything else means the connection itself is in trouble.
_MESSAGE_ERRORS = (
    smtplib.SMTPRecipientsRefused,
    smtplib.SMTPSenderRefused,
    smtplib.SMTPDataError,
)


SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
NOT_CONFIGURED = "mail is not configured (EMAIL_HOST is empty)"


def mail_configured() -> bool:
    """Whether this install can send email: EMAIL_HOST names an SMTP server, or a mail backend
    other than SMTP was chosen (the console or file backend, the tests' in-memory one). A
    fresh install has neither, and the pages that would promise an email say so instead."""
    return settings.EMAIL_BACKEND != SMTP_BACKEND or bool(settings.EMAIL_HOST)


# An HTML alternative keeps text, structure and links; nothing in it may load anything
# (no images, frames, media, styles or scripts), whatever a renderer wrote.
_HTML_TAGS = nh3.ALLOWED_TAGS - {"img"}
_HTML_SCHEMES = {"http", "https", "mailto"}


def html_that_loads_nothing(html: str) -> str:
    return nh3.clean(html, tags=_HTML_TAGS, url_schemes=_HTML_SCHEMES)


# The headers a renderer may set (`{"headers": {...}}` in its words): threading and replies.
THREAD_HEADERS = ("In-Reply-To", "References", "Reply-To")


def message_id(key: str) -> str:
    domain = urlsplit(settings.BASE_URL).hostname or "incidentdesk.invalid"
    return f"<{hashlib.sha256(key.encode()).hexdigest()[:32]}@{domain}>"


def build_message(delivery: Delivery, connection) -> EmailMultiAlternatives:
    event = delivery.event
    email = registry.words_for(event.topic, event.payload, "email") or {}
    subject = " ".join(str(email.get("subject") or "Status update").split())
    # Text written as markdown may hold an image or raw HTML: a mail reader is given a link
    # and the HTML as text, never anything it loads.
    text = markdown_for_readers(str(email.get("text") or ""))
    headers = {
        "Message-ID": message_id(delivery.key),
        "Auto-Submitted": "auto-generated",
        "X-IncidentDesk-Delivery": delivery.key,
    }
    # A renderer may thread its message (In-Reply-To, References) and say where replies go.
    for name, value in (email.get("headers") or {}).items():
        if name in THREAD_HEADERS and value:
            headers[name] = " ".join(str(value).split())
    html = html_that_loads_nothing(str(email.get("html") or ""))
    url = getattr(delivery, "standing", registry.Standing()).unsubscribe_url
    if url:
        text = (
            f"{text.rstrip()}\n\n--\nYou receive this because you subscribed to these "
            f"status updates.\nUnsubscribe with one click: {url}\n"
        )
        headers["List-Unsubscribe"] = f"<{url}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        if html:
            html += format_html(
                "<hr><p>You receive this because you subscribed to these status updates. "
                '<a href="{}">Unsubscribe with one click</a>.</p>',
                url,
            )
    message = EmailMultiAlternatives(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [delivery.recipient],
        headers=headers,
        connection=connection,
    )
    if html:
        message.attach_alternative(html, "text/html")
    invite = event.payload.get("ics")
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
        if not mail_configured():
            # Nothing can be sent, now or on a retry: said at once, as SMS does.
            for delivery in batch:
                yield Outcome(delivery, NOT_CONFIGURED, permanent=True)
            return
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

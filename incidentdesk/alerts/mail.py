"""Reading one RFC 5322 message into what a report keeps, with the standard library's `email`
package (policy `default`, which decodes encoded-word headers and charsets).

What is kept: the sender (name and address), the subject, the text (the text/plain body when
there is one, else the HTML body turned into plain text here, without fetching anything it
links to or embeds), a forwarded message's text after the sender's own, the attachments' names,
types and sizes (never their content), the Message-ID (one made from the bytes when the message
has none, so a message delivered twice is still recognised), the Date, and the Message-IDs it
answers (In-Reply-To, References).

Refused, naming the problem (`MailError`): an empty or oversized message, bytes that are not a
message (no header section), a message without a sender address, one nested too deep.

A message sent by a machine is recognised (`Mail.automatic`) so that nothing answers it:
auto-replies and bounces (RFC 3834's `Auto-Submitted: auto-replied`, `Precedence: auto_reply`,
an empty Return-Path, a delivery report) are ignored altogether, and other automatic mail
(`Auto-Submitted: auto-generated`, `Precedence: bulk | list | junk`) is taken without an
acknowledgement, so IncidentDesk and another robot never write to each other in a loop.
"""

import email
import hashlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.text import safe_text

MAX_DEPTH = 5  # forwarded messages inside forwarded messages
MAX_PARTS = 500
TEXT_MAX = 100_000  # characters of text kept; the rest is cut with a note
SUBJECT_MAX = 500
NAME_MAX = 200
ADDRESS_MAX = 254
ID_MAX = 998  # the longest line RFC 5322 allows
_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_ADDRESS = re.compile(r"^[^@\s<>\x00-\x1f\x7f]+@[^@\s<>\x00-\x1f\x7f]+$")


class MailError(ValidationError):
    """The input is not a message a report can be made of; the message says why."""


@dataclass
class Mail:
    message_id: str
    sender_name: str
    sender_address: str
    subject: str
    text: str
    attachments: list[dict] = field(default_factory=list)
    sent_at: datetime | None = None
    answers: list[str] = field(default_factory=list)  # In-Reply-To first, then References
    automatic: str = ""  # why no one should answer it ("" for a person's message)
    ignore: bool = False  # an auto-reply or a bounce: nothing is stored


def digest(message_id: str) -> str:
    return hashlib.sha256(message_id.encode("utf-8", "surrogatepass")).hexdigest()


def parse(raw: bytes, *, max_bytes: int) -> Mail:
    """Read `raw` (one message, as an MTA delivers it) or raise MailError saying what is wrong."""
    if not raw or not raw.strip():
        raise MailError("the message is empty", field="message")
    if len(raw) > max_bytes:
        raise MailError(f"the message is over {max_bytes} bytes", field="message")
    message = email.message_from_bytes(raw, policy=default_policy)
    if not isinstance(message, EmailMessage) or not list(message.keys()):
        raise MailError("no header section: this is not an RFC 5322 message", field="message")
    name, address = _sender(message)
    automatic, ignore = _automatic(message, address)
    text, attachments = _content(message, depth=0, counter=[0])
    return Mail(
        message_id=_message_id(message, raw),
        sender_name=name,
        sender_address=address,
        subject=_one_line(_header(message, "Subject"), SUBJECT_MAX),
        text=_clip(text),
        attachments=attachments,
        sent_at=_date(message),
        answers=_answers(message),
        automatic=automatic,
        ignore=ignore,
    )


# Headers ---------------------------------------------------------------------------------


def _header(message: EmailMessage, name: str) -> str:
    """A header as text (encoded words decoded); "" when it is missing or cannot be read."""
    try:
        value = message.get(name)
    except Exception:  # a header so malformed that the policy cannot build it: its raw text
        raw = message.raw_items()
        value = next((v for k, v in raw if k.lower() == name.lower()), "")
    return safe_text(str(value or ""))


def _one_line(value: str, limit: int) -> str:
    text = " ".join(value.split())
    return text[: limit - 1] + "…" if len(text) > limit else text


def _sender(message: EmailMessage) -> tuple[str, str]:
    """(name, address) of the From header (or Sender, or Return-Path), refused without one."""
    for header in ("From", "Sender", "Reply-To"):
        value = _header(message, header)
        if not value:
            continue
        try:
            addresses = message[header].addresses
            pairs = [(a.display_name, a.addr_spec) for a in addresses]
        except Exception:
            pairs = getaddresses([value]) or [parseaddr(value)]
        for name, address in pairs:
            address = (address or "").strip()
            if _ADDRESS.match(address) and len(address) <= ADDRESS_MAX:
                return _one_line(safe_text(name or ""), NAME_MAX), address
    raise MailError("the message has no sender address (From)", field="From")


def _message_id(message: EmailMessage, raw: bytes) -> str:
    found = _MESSAGE_ID.search(_header(message, "Message-ID"))
    if found and len(found.group()) <= ID_MAX:
        return found.group()
    # No usable Message-ID: one made from the bytes, so the same delivery twice is one report.
    return f"<{hashlib.sha256(raw).hexdigest()}@no-message-id.invalid>"


def _answers(message: EmailMessage) -> list[str]:
    ids = _MESSAGE_ID.findall(_header(message, "In-Reply-To"))
    ids += _MESSAGE_ID.findall(_header(message, "References"))[::-1]  # nearest first
    return [i for i in dict.fromkeys(ids) if len(i) <= ID_MAX][:50]


def _date(message: EmailMessage) -> datetime | None:
    try:
        header = message["Date"]
        when = getattr(header, "datetime", None)
    except Exception:
        return None
    if when is None:
        return None
    if timezone.is_naive(when):  # "-0000": the zone is unknown; read as UTC
        when = when.replace(tzinfo=UTC)
    return when


def _automatic(message: EmailMessage, address: str) -> tuple[str, bool]:
    """(why no one should answer, whether to ignore it altogether)."""
    auto = _header(message, "Auto-Submitted").strip().lower()
    precedence = _header(message, "Precedence").strip().lower()
    return_path = _header(message, "Return-Path").strip()
    local = address.split("@")[0].lower()
    if auto.startswith("auto-replied") or precedence == "auto_reply":
        return "an automatic reply", True
    if message.get_content_type() == "multipart/report" or local in ("mailer-daemon", "postmaster"):
        return "a delivery report (bounce)", True
    if message.get("X-Autoreply") or message.get("X-Autorespond"):
        return "an automatic reply", True
    if "Return-Path" in message and return_path in ("<>", ""):
        return "sent with an empty Return-Path (a bounce or an automatic reply)", True
    if auto and auto != "no":
        return f"Auto-Submitted: {auto.split(';')[0]}", False
    if precedence in ("bulk", "list", "junk"):
        return f"Precedence: {precedence}", False
    if message.get("List-Id") or message.get("List-Unsubscribe"):
        return "sent by a mailing list", False
    return "", False


# Body and attachments ----------------------------------------------------------------------


def _content(message: EmailMessage, *, depth: int, counter: list[int]) -> tuple[str, list[dict]]:
    """The message's text (its body, then each forwarded message) and its attachments."""
    if depth > MAX_DEPTH:
        raise MailError(f"messages are forwarded more than {MAX_DEPTH} deep", field="message")
    try:
        body = message.get_body(preferencelist=("plain", "html"))
    except Exception:
        body = None
    texts = [_part_text(body)] if body is not None else []
    attachments: list[dict] = []
    forwarded: list[EmailMessage] = []
    _walk(message, body, texts, attachments, forwarded, counter, in_alternative=False)
    for inner in forwarded:
        inner_text, inner_attachments = _content(inner, depth=depth + 1, counter=counter)
        texts.append(_forward_heading(inner) + inner_text)
        attachments += inner_attachments
    return "\n\n".join(t.strip("\n") for t in texts if t.strip()), attachments


def _walk(part, body, texts, attachments, forwarded, counter, *, in_alternative: bool) -> None:
    counter[0] += 1
    if counter[0] > MAX_PARTS:
        raise MailError(f"the message has more than {MAX_PARTS} parts", field="message")
    ctype = part.get_content_type()
    if part is body:
        return
    if ctype == "message/rfc822":
        inner = part.get_payload()
        inner = inner[0] if isinstance(inner, list) and inner else inner
        if isinstance(inner, EmailMessage):
            forwarded.append(inner)
        return
    if part.is_multipart():
        alternative = ctype == "multipart/alternative"
        for sub in part.iter_parts():
            _walk(sub, body, texts, attachments, forwarded, counter, in_alternative=alternative)
        return
    filename = _filename(part)
    disposition = (part.get_content_disposition() or "").lower()
    if filename or disposition == "attachment" or part.get_content_maintype() != "text":
        kind = safe_text(ctype)[:100]
        attachments.append({"name": filename or "(unnamed)", "type": kind, "size": _size(part)})
    elif not in_alternative and ctype == "text/plain":
        texts.append(_part_text(part))  # a second inline text part (a footer, a split body)


def _filename(part) -> str:
    try:
        name = part.get_filename() or ""
    except Exception:
        name = ""
    return _one_line(safe_text(str(name)), 255)


def _size(part) -> int:
    try:
        return len(part.get_payload(decode=True) or b"")
    except Exception:
        return 0


def _part_text(part) -> str:
    """A text part decoded by its charset (an unknown or wrong charset read leniently); HTML
    turned into text."""
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        text = bytes(text).decode("utf-8", errors="replace")
    if part.get_content_subtype() == "html":
        text = html_to_text(text)
    return safe_text(text.replace("\r\n", "\n").replace("\r", "\n"))


def _forward_heading(inner: EmailMessage) -> str:
    lines = ["---------- Forwarded message ----------"]
    for name in ("From", "Date", "Subject", "To"):
        value = _header(inner, name)
        if value:
            lines.append(f"{name}: {_one_line(value, SUBJECT_MAX)}")
    return "\n".join(lines) + "\n\n"


def _clip(text: str) -> str:
    text = re.sub(r"\n{3,}", "\n\n", text).strip()
    if len(text) > TEXT_MAX:
        return text[:TEXT_MAX] + "\n\n[… the rest of the message was cut]"
    return text


# HTML to text ----------------------------------------------------------------------------

_BLOCKS = {
    "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "blockquote", "pre", "hr", "section", "article", "header", "footer", "dt", "dd",
}  # fmt: skip
_HIDDEN = {"script", "style", "head", "title", "template", "noscript", "svg", "object"}


class _TextOnly(HTMLParser):
    """Collects the text of an HTML body. It only reads the markup: it fetches nothing,
    runs nothing, and keeps a link's address after its words."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.hidden = 0
        self.href: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BLOCKS:
            self.out.append("\n")
        if tag == "li":
            self.out.append("- ")
        if tag == "a":
            self.href.append(dict(attrs).get("href") or "")

    def handle_startendtag(self, tag, attrs):
        if tag in ("br", "hr"):
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.out.append("\n")
        if tag == "a" and self.href:
            href = self.href.pop()
            if href.startswith(("http://", "https://", "mailto:")):
                self.out.append(f" <{href}>")

    def handle_data(self, data):
        if not self.hidden:
            self.out.append(re.sub(r"\s+", " ", data))


def html_to_text(html: str) -> str:
    parser = _TextOnly()
    try:
        parser.feed(html)
        parser.close()
    except Exception:  # HTMLParser is lenient; this is for the truly broken
        return re.sub(r"<[^>]*>", " ", html)
    lines = ("".join(parser.out)).split("\n")
    return "\n".join(line.strip() for line in lines)

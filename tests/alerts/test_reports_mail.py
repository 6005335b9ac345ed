"""Reading real messages: charsets, HTML alone, attachments, forwarded mail, encoded words,
automatic mail, and refusing what is not a message."""

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentdesk.alerts import mail
from incidentdesk.core.text import UNSAFE_CHARACTERS
from tests.alerts import mails

LIMIT = 1024 * 1024


def parse(raw: bytes) -> mail.Mail:
    return mail.parse(raw, max_bytes=LIMIT)


def test_a_multipart_alternative_message_gives_its_plain_text_and_decoded_headers():
    got = parse(mails.alternative())
    assert got.sender_name == "Ana María López" and got.sender_address == "ana@example.org"
    assert got.subject == "Checkout fails with “payment declined”"
    assert "every card payment at checkout is declined — three of our" in got.text
    assert "<p>" not in got.text and got.attachments == []
    assert got.message_id == "<c0ffee01@mail.example.org>"
    assert got.sent_at.isoformat() == "2026-11-30T08:58:12+01:00"
    assert got.automatic == "" and not got.ignore


def test_an_html_only_message_becomes_text_without_its_script_style_or_images():
    got = parse(mails.html_only())
    assert got.subject == "Anmeldung schlägt fehl"
    assert got.sender_name == "Bauer, Jens"
    assert "Die Anmeldung schlägt fehl – bitte prüfen." in got.text
    assert "Statusseite <https://status.example.de/>" in got.text
    for absent in ("alert(", "color: red", "pixel.gif", "<"):
        assert absent not in got.text.replace("<https://status", "")


@pytest.mark.parametrize(
    ("raw", "subject", "text", "name"),
    [
        (
            mails.latin1(),
            "Problème de connexion",
            "la page de connexion répond très lentement",
            "Renée Dupré",
        ),
        (mails.iso_2022_jp(), "【至急】ログインできません", "障害が発生しています", "山田"),
    ],
)
def test_non_utf8_charsets_are_decoded(raw, subject, text, name):
    got = parse(raw)
    assert got.subject == subject and text in got.text and got.sender_name == name


def test_attachments_are_listed_by_name_type_and_size_never_kept():
    got = parse(mails.with_attachments())
    assert got.text == "See the screenshot and the exported invoice."
    assert got.attachments == [
        {"name": "invoice-2026-11.pdf", "type": "application/pdf", "size": 54},
        {"name": "Bildschirmfoto übersicht.png", "type": "image/png", "size": 70},
    ]


def test_a_forwarded_message_adds_its_text_and_attachments_after_the_senders_own():
    got = parse(mails.forwarded())
    first, forwarded = got.text.split("---------- Forwarded message ----------")
    assert first.strip() == "A customer wrote this; two more said the same by phone."
    assert "From: Kim Lee <kim@customer.example>" in forwarded
    assert "Subject: Cannot download reports" in forwarded
    assert 'The "Export" button gives a blank page à every try.' in forwarded
    assert got.attachments == [{"name": "export.csv", "type": "text/csv", "size": 16}]
    assert got.sender_address == "support@example.com"


def test_auto_replies_and_bounces_are_to_be_ignored_and_robots_not_answered():
    for raw in (mails.auto_reply(), mails.bounce()):
        got = parse(raw)
        assert got.ignore and got.automatic, got
    generated = parse(
        mails.alternative().replace(
            b"MIME-Version", b"Auto-Submitted: auto-generated\r\nMIME-Version", 1
        )
    )
    assert not generated.ignore and generated.automatic == "Auto-Submitted: auto-generated"
    bulk = parse(mails.latin1().replace(b"MIME-Version", b"Precedence: bulk\r\nMIME-Version", 1))
    assert not bulk.ignore and bulk.automatic == "Precedence: bulk"


def test_replies_name_the_messages_they_answer_nearest_first():
    raw = mails.reply(in_reply_to="<ack-1@desk.example.com>").replace(
        b"References: <ack-1@desk.example.com>",
        b"References: <c0ffee01@mail.example.org>\r\n <ack-1@desk.example.com>",
    )
    assert parse(raw).answers == ["<ack-1@desk.example.com>", "<c0ffee01@mail.example.org>"]


def test_a_message_without_a_message_id_gets_one_made_from_its_bytes():
    raw = mails.latin1().replace(b"Message-ID: <20261130.0912.1@post.example.fr>\r\n", b"")
    first, again = parse(raw).message_id, parse(raw).message_id
    assert first == again and first.endswith("@no-message-id.invalid>")
    assert parse(raw + b"more\r\n").message_id != first


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", "the message is empty"),
        (b"   \r\n", "the message is empty"),
        (b"\x00\x01\x02 binary garbage \xff\xfe", "no header section"),
        (b"just a line of text without any header\r\n", "no header section"),
        (b"Subject: hello\r\n\r\nno sender\r\n", "no sender address"),
        (b"From: not an address\r\nSubject: x\r\n\r\nbody\r\n", "no sender address"),
    ],
)
def test_input_that_is_not_a_message_is_refused_naming_the_problem(raw, problem):
    with pytest.raises(mail.MailError, match=problem):
        parse(raw)


def test_an_oversized_message_is_refused_naming_the_limit():
    with pytest.raises(mail.MailError, match="over 1000 bytes"):
        mail.parse(mails.with_attachments() + b"x" * 1000, max_bytes=1000)


def test_forwards_nested_too_deep_are_refused():
    raw = mails.latin1()
    for _ in range(mail.MAX_DEPTH + 2):
        raw = (
            b"From: a@example.org\r\nSubject: Fwd\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="x' + str(len(raw)).encode() + b'"\r\n\r\n'
            b"--x"
            + str(len(raw)).encode()
            + b"\r\nContent-Type: message/rfc822\r\n\r\n"
            + raw
            + b"\r\n--x"
            + str(len(raw)).encode()
            + b"--\r\n"
        )
    with pytest.raises(mail.MailError, match="forwarded more than"):
        parse(raw)


def test_a_malformed_date_or_charset_does_not_stop_the_report():
    raw = (
        mails.latin1()
        .replace(b"Mon, 30 Nov 2026 09:12:00 +0100", b"yesterday-ish")
        .replace(b"charset=iso-8859-1", b"charset=x-unknown-9")
    )
    got = parse(raw)
    assert got.sent_at is None and "connexion" in got.text


REAL = [
    mails.alternative(),
    mails.html_only(),
    mails.latin1(),
    mails.iso_2022_jp(),
    mails.with_attachments(),
    mails.forwarded(),
    mails.bounce(),
]


@settings(max_examples=300, deadline=None)
@given(
    which=st.integers(0, len(REAL) - 1),
    cut=st.integers(0, 3000),
    junk=st.binary(max_size=40),
    at=st.integers(0, 3000),
)
def test_a_mangled_real_message_is_read_or_refused_never_a_crash(which, cut, junk, at):
    raw = REAL[which][:cut] if cut else REAL[which]
    raw = raw[:at] + junk + raw[at:]
    try:
        got = parse(raw)
    except mail.MailError:
        return
    stored = got.subject + got.text + got.sender_name + got.message_id
    stored += "".join(a["name"] + a["type"] for a in got.attachments)
    assert "\x00" not in stored and UNSAFE_CHARACTERS.search(stored) is None


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_random_bytes_are_read_or_refused_never_a_crash(raw):
    with contextlib.suppress(mail.MailError):
        parse(raw)

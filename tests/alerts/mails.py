"""Messages as mail programs really send them, byte for byte (CRLF line ends, each in its own
charset and transfer encoding), for the reports-by-email tests."""


def _crlf(text: str, encoding: str = "ascii") -> bytes:
    return text.replace("\r\n", "\n").replace("\n", "\r\n").encode(encoding)


def alternative(
    message_id: str = "<c0ffee01@mail.example.org>", sender: str = "ana@example.org"
) -> bytes:
    """Thunderbird: multipart/alternative, UTF-8 quoted-printable, an encoded-word subject."""
    return _crlf(
        f"""Return-Path: <{sender}>
Message-ID: {message_id}
Date: Mon, 30 Nov 2026 08:58:12 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
From: =?UTF-8?Q?Ana_Mar=C3=ADa_L=C3=B3pez?= <{sender}>
To: help@desk.example.com
Subject: =?UTF-8?Q?Checkout_fails_with_=E2=80=9Cpayment_declined=E2=80=9D?=
Content-Type: multipart/alternative;
 boundary="------------8A1C0B3B5E4F2D1A"
Content-Language: es-ES

This is a multi-part message in MIME format.
--------------8A1C0B3B5E4F2D1A
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: quoted-printable

Hola,

Since 08:40 every card payment at checkout is declined =E2=80=94 three of =
our
shops see it.

Ana Mar=C3=ADa

--------------8A1C0B3B5E4F2D1A
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<html><body><p>Hola,</p><p>Since 08:40 every card payment at checkout is =
declined =E2=80=94 three of our shops see it.</p><p>Ana Mar=C3=ADa</p></bo=
dy></html>

--------------8A1C0B3B5E4F2D1A--
"""
    )


def html_only() -> bytes:
    """Outlook-style HTML alone, windows-1252, with a remote image, a style and a script."""
    head = _crlf(
        """Message-ID: <AM0PR01MB1234.eurprd01.prod.outlook.com>
Date: Mon, 30 Nov 2026 07:10:00 +0000
From: "Bauer, Jens" <jens.bauer@example.de>
To: "help@desk.example.com" <help@desk.example.com>
Subject: Anmeldung =?windows-1252?Q?schl=E4gt_fehl?=
Content-Type: text/html; charset="windows-1252"
Content-Transfer-Encoding: 8bit
MIME-Version: 1.0

"""
    )
    body = (
        '<html><head><style>p {color: red}</style><script>alert("x")</script></head>'
        "<body><p>Die Anmeldung schl\xe4gt fehl \x96 bitte pr\xfcfen.</p>"
        '<img src="https://tracker.example.net/pixel.gif?u=1">'
        '<p>Siehe <a href="https://status.example.de/">Statusseite</a></p></body></html>\r\n'
    ).encode("latin-1")
    return head + body


def latin1() -> bytes:
    """A plain message in ISO-8859-1, 8bit."""
    return _crlf(
        """Message-ID: <20261130.0912.1@post.example.fr>
Date: Mon, 30 Nov 2026 09:12:00 +0100
From: =?iso-8859-1?q?Ren=E9e_Dupr=E9?= <renee@example.fr>
To: help@desk.example.com
Subject: =?iso-8859-1?q?Probl=E8me_de_connexion?=
MIME-Version: 1.0
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: 8bit

Bonjour, la page de connexion répond très lentement depuis ce matin.
""",
        "latin-1",
    )


def iso_2022_jp() -> bytes:
    """A Japanese mail program: ISO-2022-JP in the subject (B encoding) and the body (7bit)."""
    head = _crlf(
        """Message-ID: <5F3A.2026113009@mail.example.jp>
Date: Mon, 30 Nov 2026 17:30:00 +0900
From: =?ISO-2022-JP?B?GyRCOzNFRBsoQg==?= <yamada@example.jp>
To: help@desk.example.com
Subject: =?ISO-2022-JP?B?GyRCIVo7ajVeIVslbSUwJSQlcyRHJC0kXiQ7JHMbKEI=?=
MIME-Version: 1.0
Content-Type: text/plain; charset=ISO-2022-JP
Content-Transfer-Encoding: 7bit

"""
    )
    return head + "障害が発生しています\r\n".encode("iso-2022-jp")


def with_attachments() -> bytes:
    """multipart/mixed: a text body, a PDF and a screenshot."""
    return _crlf(
        """Message-ID: <att-77@mail.example.org>
Date: Mon, 30 Nov 2026 10:00:00 +0000
From: Ola Nordmann <ola@example.no>
To: help@desk.example.com
Subject: Invoices page shows an error
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="mixed-b1"

--mixed-b1
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 7bit

See the screenshot and the exported invoice.

--mixed-b1
Content-Type: application/pdf; name="invoice-2026-11.pdf"
Content-Disposition: attachment; filename="invoice-2026-11.pdf"
Content-Transfer-Encoding: base64

JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK

--mixed-b1
Content-Type: image/png
Content-Disposition: attachment;
 filename*=UTF-8''Bildschirmfoto%20%C3%BCbersicht.png
Content-Transfer-Encoding: base64

iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==

--mixed-b1--
"""
    )


def forwarded() -> bytes:
    """A customer's message forwarded by a colleague as an attachment (message/rfc822)."""
    return _crlf(
        """Message-ID: <fwd-1@mail.example.com>
Date: Mon, 30 Nov 2026 11:00:00 +0000
From: Support Team <support@example.com>
To: help@desk.example.com
Subject: Fwd: Cannot download reports
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd-outer"

--fwd-outer
Content-Type: text/plain; charset=utf-8

A customer wrote this; two more said the same by phone.

--fwd-outer
Content-Type: message/rfc822
Content-Disposition: attachment; filename="Cannot download reports.eml"

Message-ID: <cust-9@customer.example>
Date: Mon, 30 Nov 2026 10:40:00 +0000
From: Kim Lee <kim@customer.example>
To: support@example.com
Subject: Cannot download reports
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fwd-inner"

--fwd-inner
Content-Type: text/html; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

<p>The &quot;Export&quot; button gives a blank page =E0 every try.</p>

--fwd-inner
Content-Type: text/csv; name="export.csv"
Content-Disposition: attachment; filename="export.csv"

id,total
1,10

--fwd-inner--

--fwd-outer--
"""
    )


def auto_reply(in_reply_to: str = "<ack@desk.example.com>") -> bytes:
    """An out-of-office answer to our acknowledgement (RFC 3834)."""
    return _crlf(
        f"""Message-ID: <ooo-1@mail.example.org>
Date: Mon, 30 Nov 2026 09:01:00 +0100
From: Ana <ana@example.org>
To: incidentdesk@desk.example.com
Subject: Automatic reply: [R-1] Received: Checkout fails
In-Reply-To: {in_reply_to}
Auto-Submitted: auto-replied
X-Autoreply: yes
Content-Type: text/plain; charset=utf-8

I am out of the office until Monday.
"""
    )


def bounce() -> bytes:
    """A delivery status notification from a mail server (null Return-Path)."""
    return _crlf(
        """Return-Path: <>
Message-ID: <dsn-1@mx.example.org>
Date: Mon, 30 Nov 2026 09:02:00 +0100
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: incidentdesk@desk.example.com
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="dsn"

--dsn
Content-Type: text/plain

The mail could not be delivered.

--dsn
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org
Final-Recipient: rfc822; nobody@example.org
Action: failed
Status: 5.1.1

--dsn--
"""
    )


def reply(
    *,
    in_reply_to: str = "",
    subject: str = "Re: Checkout fails",
    sender: str = "ana@example.org",
    message_id: str = "<reply-1@mail.example.org>",
    text: str = "It works again for card payments, not for vouchers.",
    name: str = "Ana",
) -> bytes:
    threading = f"In-Reply-To: {in_reply_to}\nReferences: {in_reply_to}\n" if in_reply_to else ""
    return _crlf(
        f"""Message-ID: {message_id}
Date: Mon, 30 Nov 2026 09:30:00 +0100
From: {name} <{sender}>
To: help@desk.example.com
Subject: {subject}
{threading}Content-Type: text/plain; charset=utf-8

{text}

> earlier text
"""
    )

"""`incidentdesk intake email`: the mail gateway. An MTA pipes one message to it on standard
input (as it would to Request Tracker's rt-mailgate); `incidentdesk intake imap` polls the
configured mailbox once.

Exit codes follow sysexits.h, which MTAs read: 0 stored (or a duplicate, or an auto-reply
knowingly ignored); 65 (EX_DATAERR) the input is not a message a report can be made of, so the
MTA bounces it; 67 (EX_NOUSER) no email integration takes it; 75 (EX_TEMPFAIL) anything else
(the database is away, say), so the MTA keeps the message and tries again later.
"""

import sys

from django.core.management.base import CommandError
from django.db import DatabaseError

from incidentdesk.alerts import imap, mail, reports
from incidentdesk.core import cli
from incidentdesk.core.errors import IncidentDeskError, PermissionDenied

EX_DATAERR, EX_NOUSER, EX_TEMPFAIL = 65, 67, 75


class Command(cli.Command):
    help = "Take reports by email: intake email (one message on stdin) | intake imap (poll once)."

    def add_arguments(self, parser):
        actions = self.add_actions(parser)
        for name, what in (
            ("email", "store one RFC 5322 message read from standard input as a report"),
            ("imap", "poll the INTAKE_IMAP_URL mailbox once for unseen messages"),
        ):
            action = actions.add_parser(name, help=what)
            action.add_argument(
                "--integration",
                metavar="KEY_ID_OR_NAME",
                help="the email integration it belongs to (default: the only one)",
            )

    def handle(self, *args, **options):
        getattr(self, f"_{options['action']}")(options)

    def _email(self, options):
        try:
            intake = _take(options["integration"])
        except (DatabaseError, OSError) as exc:  # the message is not lost: the MTA keeps it
            line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise CommandError(
                f"not stored, try again later: {line}", returncode=EX_TEMPFAIL
            ) from None
        self.stdout.write(_said(intake))

    def _imap(self, options):
        integration = reports.email_integration(options["integration"])
        result = imap.poll(integration=integration)
        self.stdout.write(f"IMAP poll: {result.line()}")


def _take(choice: str | None) -> reports.Intake:
    """Store the message on stdin for the integration `choice` names (or the only one)."""
    try:
        integration = reports.email_integration(choice)
    except IncidentDeskError as exc:  # none, several, or not this one: no one takes it
        raise CommandError(exc.detail, returncode=EX_NOUSER) from None
    try:
        return reports.report_receive(integration=integration, raw=_stdin_bytes())
    except mail.MailError as exc:
        raise CommandError(f"refused: {exc.detail}", returncode=EX_DATAERR) from None
    except PermissionDenied as exc:  # revoked meanwhile
        raise CommandError(exc.detail, returncode=EX_NOUSER) from None
    except IncidentDeskError as exc:
        raise CommandError(exc.detail, returncode=EX_DATAERR) from None


def _stdin_bytes() -> bytes:
    """Standard input as bytes, at most one byte past the limit (enough to refuse it)."""
    from django.conf import settings

    limit = settings.INTAKE_EMAIL_MAX_BYTES + 1
    stream = getattr(sys.stdin, "buffer", None)
    if stream is not None:
        return stream.read(limit)
    return sys.stdin.read(limit).encode("utf-8", "surrogateescape")  # a text stream (tests)


def _said(intake: reports.Intake) -> str:
    if intake.outcome == "ignored":
        return f"ignored: {intake.reason}"
    reference = intake.report.reference if intake.report else ""
    if intake.outcome == "stored":
        return f"stored as {reference}"
    if intake.outcome == "reply":
        where = (
            f", on {intake.reply.incident.reference}"
            if intake.reply and intake.reply.incident
            else ""
        )
        return f"added to {reference}{where}"
    return f"already stored ({reference})"

"""Reports by email: the intake of mail sent to the help address, and the triage queue.

- `report_receive` stores one message (from `incidentdesk intake email` or the IMAP poll): a
  new report, or a reply joining the report whose thread it continues. The mail itself is the
  actor (as an alert is): it needs a live `email` integration. One row per Message-ID, so a
  message delivered or fetched twice is stored once.
- Who may declare incidents triages: `report_declare`, `report_attach`, `report_dismiss`
  (the web page, the API and `incidentdesk report`: each checks the permission here).

A new report from a person is acknowledged by email with its reference (`[R-<id>]` in the
subject), threaded under their message; replies to it, or to their own message, join the
report, and once the report became or joined an incident, that incident's timeline.
"""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parseaddr

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Q, QuerySet, When
from django.utils import timezone

from incidentdesk.accounts.models import ROLE_RANK, Role, User
from incidentdesk.accounts.permissions import MIN_ROLE, Perm, require
from incidentdesk.alerts import mail
from incidentdesk.alerts.models import (
    Integration,
    IntegrationKind,
    Report,
    ReportReply,
    ReportStatus,
)
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import (
    InvalidTransition,
    NotAuthenticated,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident
from incidentdesk.incidents.selectors import visible_incident, visible_incidents
from incidentdesk.incidents.services.incidents import TEXT_LIMITS, incident_declare
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.channels.email import message_id as email_message_id
from incidentdesk.notifications.delivery import delivery_key
from incidentdesk.notifications.outbox import emit

ACKNOWLEDGED = "report.acknowledged"
REFERENCE = r"\[R-(\d{1,12})\]"
ACKNOWLEDGE_LIMIT = 5  # acknowledgements to one address within an hour
CRITERIA_REASON = "Declared from an email report; the criteria are to be confirmed"
REASON_MAX = 2_000
ENTRY_TEXT_MAX = 10_000


# Which integration -------------------------------------------------------------------------


def email_integration(choice: str | None) -> Integration:
    """The live email integration named by `choice` (its key id or its name), or the only
    one when `choice` is empty; refused naming `--integration` otherwise."""
    live = Integration.objects.filter(kind=IntegrationKind.EMAIL, revoked_at__isnull=True)
    choice = (choice or "").strip()
    if choice:
        found = list(live.filter(Q(key_id=choice) | Q(name=choice))[:2])
        if len(found) == 1:
            return found[0]
        if found:
            raise ValidationError(
                f"two email integrations are named {choice!r}; give its key id", field="integration"
            )
        raise NotFound(
            f"no live email integration with the key id or name {choice!r} "
            "(see 'incidentdesk integration list')",
            field="integration",
        )
    found = list(live[:2])
    if len(found) == 1:
        return found[0]
    if not found:
        raise NotFound(
            "there is no live email integration; create one with "
            "'incidentdesk integration create --kind email --name help'",
            field="integration",
        )
    raise ValidationError(
        "there are several email integrations; name one with --integration", field="integration"
    )


# Intake ------------------------------------------------------------------------------------


@dataclass
class Intake:
    """What one message became: `stored` (a new report), `reply` (joined a report),
    `duplicate` (seen before: nothing changed) or `ignored` (an auto-reply or a bounce)."""

    outcome: str
    report: Report | None = None
    reply: ReportReply | None = None
    reason: str = ""


def report_receive(
    *, integration: Integration, raw: bytes, received_at: datetime | None = None
) -> Intake:
    """Store one message as a report or as a reply to one (see the module docstring).

    Refused (`mail.MailError`, naming the problem) when the bytes are not a message a report
    can be made of; `PermissionDenied` when the integration is revoked or not an email one.
    An auto-reply or a bounce is ignored: nothing is stored and nothing answers it. A report
    from a person gets its acknowledgement through the outbox, in the same transaction."""
    if integration.revoked_at is not None or integration.kind != IntegrationKind.EMAIL:
        raise PermissionDenied("this integration does not take email reports")
    parsed = mail.parse(raw, max_bytes=settings.INTAKE_EMAIL_MAX_BYTES)
    if parsed.ignore:
        return Intake("ignored", reason=parsed.automatic)
    now = received_at or timezone.now()
    key = mail.digest(parsed.message_id)
    try:
        with transaction.atomic():
            # Read afresh: a poll holds its integration for all the messages it takes.
            live = Integration.objects.filter(pk=integration.pk, revoked_at__isnull=True)
            if not live.exists():
                raise PermissionDenied("this integration was revoked")
            seen = _seen(key)
            if seen is not None:
                return seen
            thread = _thread_of(parsed)
            if thread is not None:
                return _reply(thread, parsed, key, now)
            return _new_report(integration, parsed, key, now)
    except IntegrityError:
        # The same message stored meanwhile by another delivery (two pollers): it is there.
        seen = _seen(key)
        if seen is None:
            raise
        return seen


def _seen(key: str) -> Intake | None:
    report = Report.objects.filter(message_digest=key).first()
    if report is not None:
        return Intake("duplicate", report=report)
    reply = ReportReply.objects.select_related("report").filter(message_digest=key).first()
    if reply is not None:
        return Intake("duplicate", report=reply.report, reply=reply)
    return None


def _thread_of(parsed: mail.Mail) -> Report | None:
    """The report `parsed` continues, by the Message-IDs it answers (a report's, one of its
    replies', or its acknowledgement's) or by the `[R-<id>]` reference in its subject; only
    when it comes from the report's sender, so nobody else writes into someone's thread."""
    candidates: list[Report] = []
    digests = [mail.digest(i) for i in parsed.answers]
    if digests:
        candidates += Report.objects.filter(
            Q(message_digest__in=digests) | Q(acknowledgement_digest__in=digests)
        )
        candidates += [
            r.report
            for r in ReportReply.objects.select_related("report").filter(message_digest__in=digests)
        ]
    found = re.search(REFERENCE, parsed.subject)
    if found:
        candidates += Report.objects.filter(pk=int(found.group(1)))
    sender = parsed.sender_address.lower()
    for report in candidates:
        if report.sender_address.lower() == sender:
            return Report.objects.select_for_update().get(pk=report.pk)
    return None


def _new_report(integration: Integration, parsed: mail.Mail, key: str, now) -> Intake:
    report = Report.objects.create(
        integration=integration,
        sender_name=parsed.sender_name,
        sender_address=parsed.sender_address,
        subject=parsed.subject,
        text=parsed.text,
        attachments=parsed.attachments,
        message_id=parsed.message_id,
        message_digest=key,
        sent_at=parsed.sent_at,
        received_at=now,
        automatic=(
            parsed.automatic
            or _own_address(parsed.sender_address)
            or _answered_enough(parsed.sender_address, now)
        ),
    )
    if not report.automatic and settings.INTAKE_EMAIL_ACKNOWLEDGE:
        _acknowledge(report)
    return Intake("stored", report=report)


def _answered_enough(address: str, now) -> str:
    """Why not to answer `address` again when it had ACKNOWLEDGE_LIMIT acknowledgements within
    the hour (a robot that slipped through, or spam forging someone's address), else ""."""
    answered = Report.objects.filter(
        sender_address__iexact=address,
        received_at__gte=now - timedelta(hours=1),
    ).exclude(acknowledgement_id="")
    if answered.count() >= ACKNOWLEDGE_LIMIT:
        return f"{ACKNOWLEDGE_LIMIT} acknowledgements went to this address within the hour"
    return ""


def _own_address(address: str) -> str:
    """Why not to answer `address` when it is one of ours (a loop), else ""."""
    ours = {
        a.lower()
        for a in (_address_of(settings.DEFAULT_FROM_EMAIL), settings.INTAKE_EMAIL_ADDRESS)
        if a
    }
    return "sent from IncidentDesk's own address" if address.lower() in ours else ""


def _address_of(value: str) -> str:
    return parseaddr(value or "")[1]


def _acknowledge(report: Report) -> None:
    """Tell the sender their report arrived, under its reference, threaded below their
    message. The acknowledgement's Message-ID is the one the email channel gives this
    delivery (from its key), kept so that replies to it find the report."""
    address = report.sender_address.strip().lower()
    event = emit(
        topic=ACKNOWLEDGED,
        payload={
            "report": report.pk,
            "reference": report.reference,
            "subject": report.subject,
            "in_reply_to": report.message_id,
            "reply_to": settings.INTAKE_EMAIL_ADDRESS,
        },
        staff_emails=[address],
    )
    report.acknowledgement_id = email_message_id(delivery_key(event.pk, address))
    report.acknowledgement_digest = mail.digest(report.acknowledgement_id)
    report.save(update_fields=["acknowledgement_id", "acknowledgement_digest"])


def acknowledgement_email(data: dict) -> dict:
    """The acknowledgement's words (the renderer registered for `report.acknowledged`)."""
    reference = data["reference"]
    subject = data.get("subject") or "your report"
    headers = {"In-Reply-To": data["in_reply_to"], "References": data["in_reply_to"]}
    if data.get("reply_to"):
        headers["Reply-To"] = data["reply_to"]
    return {
        "subject": f"[{reference}] Received: {subject}",
        "text": (
            f"Thank you: your report has reached the incident desk under the reference "
            f"{reference}.\n\nSomeone will look at it shortly. To add to it, reply to this "
            f"message and keep [{reference}] in the subject.\n"
        ),
        "headers": headers,
    }


def _reply(report: Report, parsed: mail.Mail, key: str, now) -> Intake:
    incident = report.incident if report.status in _ON_INCIDENT else None
    reply = ReportReply.objects.create(
        report=report,
        sender_name=parsed.sender_name,
        sender_address=parsed.sender_address,
        subject=parsed.subject,
        text=parsed.text,
        attachments=parsed.attachments,
        message_id=parsed.message_id,
        message_digest=key,
        sent_at=parsed.sent_at,
        received_at=now,
        incident=incident,
    )
    if incident is not None:
        _reply_entry(incident, report, reply)
    return Intake("reply", report=report, reply=reply)


_ON_INCIDENT = (ReportStatus.DECLARED, ReportStatus.ATTACHED)


def sender_line(one: Report | ReportReply) -> str:
    """`Name <address>`, or the address alone."""
    return f"{one.sender_name} <{one.sender_address}>" if one.sender_name else one.sender_address


def _cut(text: str, limit: int) -> str:
    return text[: limit - 1] + "…" if len(text) > limit else text


def _quoted(text: str) -> str:
    text = text[:ENTRY_TEXT_MAX] + ("…" if len(text) > ENTRY_TEXT_MAX else "")
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines()) or "> (no text)"


def _attachment_line(attachments: list[dict]) -> str:
    if not attachments:
        return ""
    names = ", ".join(f"{a['name']} ({a['size']} bytes)" for a in attachments)
    return f"\n\nAttachments (not kept): {names}"


def _reply_entry(incident: Incident, report: Report, reply: ReportReply) -> None:
    record_entry(
        incident=incident,
        kind=EntryKind.DISCUSSION,
        body=(
            f"Email from {sender_line(reply)} ({report.reference}): {reply.subject}\n\n"
            f"{_quoted(reply.text)}{_attachment_line(reply.attachments)}"
        ),
        actor=None,
        source=ActionSource.ALERT,
        occurred_at=reply.received_at,
        data={"report": report.pk, "reply": reply.pk, "message_id": reply.message_id},
    )


# Triage ------------------------------------------------------------------------------------


def _open_report(report_id: int) -> Report:
    """The report, locked; refused unless it is still in triage."""
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFound(f"no report with id {report_id}", field="report")
    if report.status != ReportStatus.NEW:
        where = f" ({report.incident.reference})" if report.incident is not None else ""
        raise InvalidTransition(
            f"{report.reference} was already {report.status}{where}", field="report"
        )
    return report


def _decided(report: Report, actor: User, status: str, incident: Incident | None) -> None:
    report.status = status
    report.incident = incident
    report.decided_by = actor
    report.decided_at = timezone.now()
    report.save(update_fields=["status", "incident", "decided_by", "decided_at", "dismiss_reason"])


def _report_entry(incident: Incident, report: Report, actor, source, what: str) -> None:
    record_entry(
        incident=incident,
        kind=EntryKind.EVENT,
        body=(
            f"{what} email report {report.reference} from {sender_line(report)}: "
            f"{report.subject or '(no subject)'}\n\n{_quoted(report.text)}"
            f"{_attachment_line(report.attachments)}"
        ),
        actor=actor,
        source=source,
        occurred_at=timezone.now(),
        data={"report": report.pk, "message_id": report.message_id, "event": what.lower()},
    )


def report_declare(
    *,
    actor: User,
    source: ActionSource,
    report_id: int,
    severity: str,
    criteria: list[str] | None = None,
    criteria_reason: str = "",
    title: str = "",
) -> Incident:
    """Declare an incident from a report in triage: titled by its subject (or `title`),
    described by its text, reported by its sender through email (detection reactive),
    detected when it was received. Who may declare incidents may. The report's replies so
    far go onto the timeline with it."""
    require(actor, Perm.INCIDENT_DECLARE)
    with transaction.atomic():
        report = _open_report(report_id)
        title = " ".join((title or report.subject or f"Email report {report.reference}").split())
        incident = incident_declare(
            actor=actor,
            source=source,
            title=_cut(title, TEXT_LIMITS["title"]),
            severity=severity,
            criteria=criteria or [],
            criteria_reason=criteria_reason or ("" if criteria else CRITERIA_REASON),
            summary=_cut(report.text, TEXT_LIMITS["summary"]),
            detection="reactive",
            reported_by=_cut(sender_line(report), TEXT_LIMITS["reported_by"]),
            report_medium="email",
            detected_at=min(report.received_at, timezone.now()),
        )
        _decided(report, actor, ReportStatus.DECLARED, incident)
        _report_entry(incident, report, actor, source, "Declared from")
        _replies_join(report, incident)
    return incident


def report_attach(
    *, actor: User, source: ActionSource, report_id: int, incident: str | int
) -> Incident:
    """Attach a report in triage to an open incident (by reference, or id) the actor can see:
    an entry with the report goes onto its timeline, and later replies follow it there."""
    require(actor, Perm.INCIDENT_DECLARE)
    require(actor, Perm.TIMELINE_WRITE)
    with transaction.atomic():
        report = _open_report(report_id)
        target = _incident(incident, actor)
        _decided(report, actor, ReportStatus.ATTACHED, target)
        _report_entry(target, report, actor, source, "Attached")
        _replies_join(report, target)
    return target


def _incident(value: str | int, actor) -> Incident:
    reference = str(value or "").strip()
    if not reference:
        raise ValidationError("name the incident to attach to (INC-…)", field="incident")
    found = visible_incident(reference, viewer=actor)
    if found is None and reference.isdigit():
        found = Incident.objects.visible_to(actor).filter(pk=int(reference)).first()
    if found is None:
        raise NotFound(f"no incident {reference!r} that you can see", field="incident")
    if not found.is_open:
        raise InvalidTransition(
            f"{found.reference} is {found.status}; attach to an open incident", field="incident"
        )
    return found


def _replies_join(report: Report, incident: Incident) -> None:
    for reply in report.replies.filter(incident__isnull=True):
        reply.incident = incident
        reply.save(update_fields=["incident"])
        _reply_entry(incident, report, reply)


def report_dismiss(*, actor: User, source: ActionSource, report_id: int, reason: str) -> Report:
    """Dismiss a report in triage, saying why (required): it leaves the queue, kept with its
    reason, who dismissed it and when."""
    require(actor, Perm.INCIDENT_DECLARE)
    reason = check_text(reason, field="reason", max_length=REASON_MAX, required=True)
    with transaction.atomic():
        report = _open_report(report_id)
        report.dismiss_reason = reason
        _decided(report, actor, ReportStatus.DISMISSED, None)
    return report


# Reads -------------------------------------------------------------------------------------


def reports_for(viewer, *, status: str | None = ReportStatus.NEW) -> QuerySet[Report]:
    """The reports in the queue (`status` new by default; None for all), newest first, for
    whoever may triage them: they hold people's addresses and words. Each carries
    `incident_shown` (its incident's reference, if `viewer` may see it)."""
    _may_read(viewer)
    reports = _incident_shown(Report.objects.select_related("incident", "decided_by"), viewer)
    if status:
        if status not in ReportStatus.values:
            choices = ", ".join(ReportStatus.values)
            raise ValidationError(
                f"unknown status {status!r}; use one of {choices}", field="status"
            )
        reports = reports.filter(status=status)
    return reports


def report_for(viewer, report_id: int) -> Report:
    """One report with its replies and `incident_shown`, for whoever may triage."""
    _may_read(viewer)
    report = (
        _incident_shown(
            Report.objects.select_related("incident", "decided_by", "integration"), viewer
        )
        .prefetch_related("replies")
        .filter(pk=report_id)
        .first()
    )
    if report is None:
        raise NotFound(f"no report with id {report_id}", field="report")
    return report


def _incident_shown(reports: QuerySet[Report], viewer) -> QuerySet[Report]:
    """Each report with `incident_shown`: its incident's reference, or None when there is none
    or `viewer` may not see it (a restricted incident they take no part in), so every door
    names only what the reader may see."""
    return reports.annotate(
        incident_shown=Case(
            When(incident__in=visible_incidents(viewer), then=F("incident__reference")),
            default=None,
            output_field=CharField(),
        )
    )


def _may_read(viewer) -> None:
    """Reading the queue takes the role that triages it (a read-scoped token will do)."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        raise NotAuthenticated("sign in first")
    needed = MIN_ROLE[Perm.INCIDENT_DECLARE]
    if not viewer.is_active or ROLE_RANK[Role(viewer.effective_role)] < ROLE_RANK[needed]:
        raise PermissionDenied(
            f"your role ({viewer.effective_role}) may not see email reports; "
            f"it needs {needed.value} or above"
        )

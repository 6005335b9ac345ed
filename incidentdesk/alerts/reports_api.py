"""Email reports in the JSON API (/api/v1/reports): the triage queue and its three decisions.
Parse, call the service in `alerts.reports`, render."""

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from incidentdesk.alerts import reports
from incidentdesk.core.pagination import Page
from incidentdesk.core.schemas import Strict
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.selectors import hidden_incident_ids, incident_for_answer

router = Router(tags=["reports"])
API = ActionSource.API


class AttachmentOut(Schema):
    name: str
    type: str
    size: int


class ReplyOut(Schema):
    sender_name: str
    sender_address: str
    subject: str
    text: str
    attachments: list[AttachmentOut]
    message_id: str
    received_at: datetime


class ReportOut(Schema):
    id: int
    reference: str
    status: str
    sender_name: str
    sender_address: str
    subject: str
    text: str
    attachments: list[AttachmentOut]
    message_id: str
    sent_at: datetime | None
    received_at: datetime
    acknowledged: bool
    automatic: str
    incident: str | None
    decided_by: str | None
    decided_at: datetime | None
    dismiss_reason: str

    @staticmethod
    def resolve_acknowledged(report) -> bool:
        return bool(report.acknowledgement_id)

    @staticmethod
    def resolve_incident(report, context) -> str | None:
        if report.incident is None:
            return None
        request = context["request"]
        if not hasattr(request, "hidden_incidents"):  # read once a request
            request.hidden_incidents = hidden_incident_ids(request.auth)
        return None if report.incident_id in request.hidden_incidents else report.incident.reference

    @staticmethod
    def resolve_decided_by(report) -> str | None:
        return report.decided_by.username if report.decided_by else None


class ReportWithRepliesOut(ReportOut):
    replies: list[ReplyOut]

    @staticmethod
    def resolve_replies(report) -> list:
        return list(report.replies.all())


class ReportFilters(Schema):
    status: str = "new"  # new, declared, attached, dismissed, or all


class DeclareIn(Strict):
    severity: str
    criteria: list[str] = []
    criteria_reason: str = ""
    title: str = ""


class AttachIn(Strict):
    incident: str  # its reference, INC-2026-0042


class DismissIn(Strict):
    reason: str


class DecidedOut(Schema):
    report: ReportOut
    incident: dict[str, Any] | None


@router.get("/reports", response=list[ReportOut])
@paginate(Page)
def list_reports(request, filters: Query[ReportFilters]):
    status = None if filters.status == "all" else filters.status
    return reports.reports_for(request.auth, status=status)


@router.get("/reports/{report_id}", response=ReportWithRepliesOut)
def get_report(request, report_id: int):
    return reports.report_for(request.auth, report_id)


def _decided(request, report_id: int) -> dict:
    report = reports.report_for(request.auth, report_id)
    incident = None
    if report.incident_id is not None:
        found = incident_for_answer(report.incident_id, viewer=request.auth)
        incident = {"reference": found.reference, "title": found.title} if found else None
    return {"report": report, "incident": incident}


@router.post("/reports/{report_id}/declare", response=DecidedOut)
def declare_from_report(request, report_id: int, payload: DeclareIn):
    reports.report_declare(actor=request.auth, source=API, report_id=report_id, **payload.dict())
    return _decided(request, report_id)


@router.post("/reports/{report_id}/attach", response=DecidedOut)
def attach_report(request, report_id: int, payload: AttachIn):
    reports.report_attach(
        actor=request.auth, source=API, report_id=report_id, incident=payload.incident
    )
    return _decided(request, report_id)


@router.post("/reports/{report_id}/dismiss", response=DecidedOut)
def dismiss_report(request, report_id: int, payload: DismissIn):
    reports.report_dismiss(
        actor=request.auth, source=API, report_id=report_id, reason=payload.reason
    )
    return _decided(request, report_id)

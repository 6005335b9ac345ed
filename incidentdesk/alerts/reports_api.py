"""Email reports in the JSON API (/api/v1/reports): the triage queue and its three decisions.
Parse, call the service in `alerts.reports`, render. `report list | show --json` on the command
line prints these schemas too (`report_json`)."""

from datetime import datetime
from typing import Any

from ninja import Query, Router, Schema
from ninja.pagination import paginate

from incidentdesk.alerts import reports
from incidentdesk.core.pagination import Page
from incidentdesk.core.schemas import Strict
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.selectors import incident_for_answer

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
    def resolve_incident(report) -> str | None:
        # Read by `reports_for` / `report_for` for the reader: None where they may not see it.
        return report.incident_shown

    @staticmethod
    def resolve_decided_by(report) -> str | None:
        return report.decided_by.username if report.decided_by else None


class ReportWithRepliesOut(ReportOut):
    replies: list[ReplyOut]

    @staticmethod
    def resolve_replies(report) -> list:
        return list(report.replies.all())


def report_json(report, *, replies: bool = False) -> dict[str, Any]:
    """A report read by `reports_for` / `report_for` in the API's shape (`replies`: with its
    replies, as GET /reports/{id} shows it), for the command line."""
    schema = ReportWithRepliesOut if replies else ReportOut
    return schema.from_orm(report).model_dump()


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

"""The triage queue of email reports (/alerts/reports): for whoever may declare incidents.
A report's page offers the three decisions: declare an incident from it, attach it to an open
incident, dismiss it with a reason. Each form calls one service in `alerts.reports`; errors go
through core/web.py (`form_failed`, `web_errors`)."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from incidentdesk.alerts import reports
from incidentdesk.alerts.models import ReportStatus
from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import form_failed, parsed, web_errors
from incidentdesk.incidents.models import Criterion
from incidentdesk.incidents.selectors import (
    hidden_incident_ids,
    open_incidents_by_severity,
    severity_choices,
)

WEB = ActionSource.WEB
PER_PAGE = 50
STATUSES = [*ReportStatus.choices, ("all", "All")]


class DeclareForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="The report's subject unless you change it.")
    severity = forms.ChoiceField()
    criteria = forms.MultipleChoiceField(
        choices=Criterion.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Why is this an incident?",
        help_text="Leave empty to confirm the criteria later.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["severity"].choices = severity_choices()


class AttachForm(forms.Form):
    incident = forms.ChoiceField(label="Open incident")

    def __init__(self, *args, viewer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["incident"].choices = [("", "Choose an open incident")] + [
            (i.reference, f"{i.reference} {i.title}")
            for i in open_incidents_by_severity(viewer=viewer)
        ]


class DismissForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why it needs no incident (spam, a question for support, already known…).",
    )


@login_required
@web_errors
def report_list(request):
    status = request.GET.get("status", ReportStatus.NEW)
    status = status if status in dict(STATUSES) else ReportStatus.NEW
    found = reports.reports_for(request.user, status=None if status == "all" else status)
    page = Paginator(found, PER_PAGE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "status": status,
        "statuses": STATUSES,
        "hidden": hidden_incident_ids(request.user),
    }
    return render(request, "alerts/triage.html", context)


def _report_page(request, report_id: int, *, forms_: dict | None = None, status: int = 200):
    report = reports.report_for(request.user, report_id)
    context = {
        "report": report,
        "declare_form": DeclareForm(initial={"title": report.subject[:200], "severity": ""}),
        "attach_form": AttachForm(viewer=request.user),
        "dismiss_form": DismissForm(),
        "open_form": "",
        "hidden": hidden_incident_ids(request.user),
        **(forms_ or {}),
    }
    return render(request, "alerts/triage_report.html", context, status=status)


@login_required
@web_errors
def report_detail(request, report_id: int):
    return _report_page(request, report_id)


@login_required
@require_POST
@web_errors
def report_declare(request, report_id: int):
    form = DeclareForm(request.POST)
    try:
        data = parsed(form)
        incident = reports.report_declare(
            actor=request.user,
            source=WEB,
            report_id=report_id,
            severity=data["severity"],
            criteria=data["criteria"],
            title=data["title"],
        )
    except IncidentDeskError as exc:
        again = {"declare_form": form, "open_form": "declare"}
        return form_failed(
            request, exc, form, lambda: _report_page(request, report_id, forms_=again, status=422)
        )
    messages.success(request, f"{incident.reference} is declared from the report.")
    return redirect("incident_detail", incident.reference)


@login_required
@require_POST
@web_errors
def report_attach(request, report_id: int):
    form = AttachForm(request.POST, viewer=request.user)
    try:
        data = parsed(form)
        incident = reports.report_attach(
            actor=request.user, source=WEB, report_id=report_id, incident=data["incident"]
        )
    except IncidentDeskError as exc:
        again = {"attach_form": form, "open_form": "attach"}
        return form_failed(
            request, exc, form, lambda: _report_page(request, report_id, forms_=again, status=422)
        )
    messages.success(request, f"The report is on {incident.reference}'s timeline.")
    return redirect("incident_detail", incident.reference)


@login_required
@require_POST
@web_errors
def report_dismiss(request, report_id: int):
    form = DismissForm(request.POST)
    try:
        data = parsed(form)
        report = reports.report_dismiss(
            actor=request.user, source=WEB, report_id=report_id, reason=data["reason"]
        )
    except IncidentDeskError as exc:
        again = {"dismiss_form": form, "open_form": "dismiss"}
        return form_failed(
            request, exc, form, lambda: _report_page(request, report_id, forms_=again, status=422)
        )
    messages.success(request, f"{report.reference} is dismissed.")
    return redirect("alert_reports")

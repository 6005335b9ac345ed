"""The triage queue on the command line (`incidentdesk report`): listing and showing reports,
with `--json` printing what the API answers, and declaring, attaching and dismissing through the
same services as the web and the API; bad input exits 2 naming the field, and changes nothing."""

import json

import pytest

from incidentdesk.alerts import reports
from incidentdesk.alerts.models import Report, ReportStatus
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, TimelineEntry
from tests.alerts import mails, test_reports_triage

pytestmark = pytest.mark.django_db
help_desk = test_reports_triage.help_desk
report = test_reports_triage.report
_declared_entries = test_reports_triage._declared_entries


@pytest.fixture
def dismissed(help_desk, admin) -> Report:
    other = reports.report_receive(integration=help_desk, raw=mails.html_only()).report
    reports.report_dismiss(
        actor=admin, source=ActionSource.WEB, report_id=other.pk, reason="a newsletter"
    )
    return other


# Reading -------------------------------------------------------------------------------------


def test_list_shows_the_new_reports_and_other_statuses_by_filter(cli, responder, report, dismissed):
    listed = cli("report", "list", "--as", "rita")
    assert listed.code == 0, listed.err
    assert report.reference in listed.out and "Ana María López <ana@example.org>" in listed.out
    assert "Checkout fails with “payment declined”" in listed.out
    assert dismissed.reference not in listed.out
    only_dismissed = cli("report", "list", "--status", "dismissed", "--as", "rita").out
    assert dismissed.reference in only_dismissed and report.reference not in only_dismissed
    every = cli("report", "list", "--status", "all", "--json", "--as", "rita")
    assert [r["id"] for r in json.loads(every.out)] == [dismissed.pk, report.pk]


def test_list_and_show_json_are_what_the_api_answers(cli, rita, report, dismissed):
    listed = json.loads(cli("report", "list", "--status", "all", "--json", "--as", "rita").out)
    assert listed == rita.call("GET", "/reports?status=all").json_body["items"]
    shown = json.loads(cli("report", "show", str(report.pk), "--json", "--as", "rita").out)
    assert shown == rita.call("GET", f"/reports/{report.pk}").json_body
    assert shown["reference"] == report.reference and shown["replies"] == []


def test_show_prints_the_message_its_attachments_and_replies(cli, responder, help_desk):
    found = reports.report_receive(integration=help_desk, raw=mails.with_attachments()).report
    reports.report_receive(
        integration=help_desk,
        raw=mails.reply(
            in_reply_to=found.message_id, sender="ola@example.no", text="Still broken at noon."
        ),
    )
    shown = cli("report", "show", str(found.pk), "--as", "rita")
    assert shown.code == 0, shown.err
    assert f"{found.reference} (new): Invoices page shows an error" in shown.out
    assert "from Ola Nordmann <ola@example.no>" in shown.out
    assert "attachment: invoice-2026-11.pdf (application/pdf," in shown.out
    assert "See the screenshot and the exported invoice." in shown.out
    assert "reply from Ana <ola@example.no>" in shown.out and "Still broken at noon." in shown.out


def test_a_restricted_incident_a_report_joined_is_not_named_on_the_command_line(
    cli, report, admin, declare, responder
):
    hidden = declare(actor=admin, title="Breach", security=True, criteria=["security"])
    reports.report_attach(
        actor=admin, source=ActionSource.WEB, report_id=report.pk, incident=hidden.reference
    )
    as_rita = [
        cli("report", "list", "--status", "all", "--as", "rita").out,
        cli("report", "show", str(report.pk), "--as", "rita").out,
        cli("report", "show", str(report.pk), "--json", "--as", "rita").out,
    ]
    assert all(hidden.reference not in out for out in as_rita)
    assert json.loads(as_rita[2])["incident"] is None
    assert hidden.reference in cli("report", "show", str(report.pk), "--as", "admin").out


# Deciding ------------------------------------------------------------------------------------


def test_declare_makes_the_incident_from_the_report_as_the_acting_user(cli, responder, report):
    run = cli(
        "report",
        "declare",
        str(report.pk),
        "--severity",
        "sev1",
        "--criteria",
        "immediate_response,multiple_users",
        "--as",
        "rita",
    )
    assert run.code == 0, run.err
    incident = Incident.objects.get()
    assert run.out.strip() == f"{incident.reference} is declared from {report.reference}."
    assert incident.title == "Checkout fails with “payment declined”"
    assert incident.severity.key == "critical"
    assert incident.criteria == ["immediate_response", "multiple_users"]
    assert (incident.reported_by, incident.report_medium) == (
        "Ana María López <ana@example.org>",
        "email",
    )
    report.refresh_from_db()
    assert (report.status, report.incident, report.decided_by) == ("declared", incident, responder)
    entry = TimelineEntry.objects.get(incident=incident, data__report=report.pk)
    assert entry.source == "cli" and entry.author == responder


def test_declaring_through_the_cli_or_the_api_leaves_the_same_timeline(cli, rita, help_desk):
    by_cli = reports.report_receive(integration=help_desk, raw=mails.latin1()).report
    by_api = reports.report_receive(
        integration=help_desk,
        raw=mails.latin1().replace(b"20261130.0912.1@", b"20261130.0912.2@"),
    ).report
    run = cli(
        "report",
        "declare",
        str(by_cli.pk),
        "--severity",
        "major",
        "--title",
        "Slow",
        "--as",
        "rita",
    )
    assert run.code == 0, run.err
    rita.call("POST", f"/reports/{by_api.pk}/declare", {"severity": "major", "title": "Slow"})
    on_cli, on_api = (Report.objects.get(pk=r.pk).incident for r in (by_cli, by_api))
    assert _declared_entries(on_cli, by_cli) == _declared_entries(on_api, by_api)
    assert {e.source for e in TimelineEntry.objects.filter(incident=on_cli)} == {"cli"}


def test_attach_puts_the_report_on_an_open_incidents_timeline(cli, responder, report, incident):
    run = cli("report", "attach", str(report.pk), incident.reference, "--as", "rita")
    assert run.code == 0, run.err
    assert run.out.strip() == f"{report.reference} is attached to {incident.reference}."
    report.refresh_from_db()
    assert (report.status, report.incident) == (ReportStatus.ATTACHED, incident)
    entry = TimelineEntry.objects.get(incident=incident, data__report=report.pk)
    assert entry.body.startswith(f"Attached email report {report.reference}")
    assert entry.source == "cli"


def test_dismiss_keeps_the_reason_and_who_dismissed(cli, responder, report):
    run = cli("report", "dismiss", str(report.pk), "--reason", "asked support", "--as", "rita")
    assert run.code == 0, run.err
    assert run.out.strip() == f"{report.reference} is dismissed."
    report.refresh_from_db()
    assert (report.status, report.dismiss_reason, report.decided_by) == (
        ReportStatus.DISMISSED,
        "asked support",
        responder,
    )
    shown = cli("report", "show", str(report.pk), "--as", "rita").out
    assert "dismissed by rita" in shown and "reason: asked support" in shown


# Bad input -----------------------------------------------------------------------------------


def test_an_unknown_report_exits_2_naming_the_report(cli, responder):
    for args in (("show", "999999"), ("dismiss", "999999", "--reason", "x")):
        run = cli("report", *args, "--as", "rita")
        assert run.code == 2 and run.err.startswith("error: report: no report with id 999999")


def test_dismissing_without_a_reason_exits_2_naming_it_and_keeps_the_report(cli, responder, report):
    missing = cli("report", "dismiss", str(report.pk), "--as", "rita")
    assert missing.code == 2 and "--reason" in missing.err
    blank = cli("report", "dismiss", str(report.pk), "--reason", "  ", "--as", "rita")
    assert blank.code == 2 and blank.err.startswith("error: --reason:")
    unsafe = cli("report", "dismiss", str(report.pk), "--reason", "spam\x07", "--as", "rita")
    assert unsafe.code == 2 and unsafe.err.startswith("error: --reason:")
    assert Report.objects.get().status == ReportStatus.NEW


def test_a_report_already_dismissed_is_not_decided_again(cli, responder, dismissed, incident):
    for args in (
        ("dismiss", str(dismissed.pk), "--reason", "again"),
        ("declare", str(dismissed.pk), "--severity", "major"),
        ("attach", str(dismissed.pk), incident.reference),
    ):
        run = cli("report", *args, "--as", "rita")
        assert run.code == 2, run.out
        assert run.err.strip() == f"error: report: {dismissed.reference} was already dismissed"
    dismissed.refresh_from_db()
    assert (
        dismissed.dismiss_reason == "a newsletter"
        and not Incident.objects.exclude(pk=incident.pk).exists()
    )


def test_bad_options_exit_2_naming_the_option(cli, responder, report, declare):
    severity = cli("report", "declare", str(report.pk), "--severity", "huge", "--as", "rita")
    assert severity.code == 2 and severity.err.startswith("error: --severity:")
    criteria = cli(
        "report",
        "declare",
        str(report.pk),
        "--severity",
        "major",
        "--criteria",
        "vibes",
        "--as",
        "rita",
    )
    assert criteria.code == 2 and criteria.err.startswith("error: --criteria")
    unknown = cli("report", "attach", str(report.pk), "INC-1999-0001", "--as", "rita")
    assert unknown.code == 2 and unknown.err.startswith("error: incident:")
    status = cli("report", "list", "--status", "burning", "--as", "rita")
    assert status.code == 2 and "--status" in status.err
    assert not Incident.objects.exists() and Report.objects.get().status == ReportStatus.NEW


def test_the_acting_user_must_be_given_and_may_triage(cli, viewer, report):
    nobody = cli("report", "list")
    assert nobody.code == 2 and nobody.err.startswith("error: --as: say who is acting")
    for args in (("list",), ("dismiss", str(report.pk), "--reason", "x")):
        refused = cli("report", *args, "--as", "vic")
        assert refused.code == 2 and "may not" in refused.err
    assert Report.objects.get().status == ReportStatus.NEW

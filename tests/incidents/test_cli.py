import json
from datetime import UTC, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus, TimelineEntry

DECLARE = ("declare", "--title", "Checkout is failing", "--criteria", "immediate_response")


def declared(cli, *extra: str, actor: str = "rita") -> str:
    run = cli(*DECLARE, "--severity", "major", "--as", actor, *extra)
    assert run.code == 0, run.err
    return run.out.strip()


def test_declare_prints_the_reference_and_records_the_cli_as_source(cli, responder):
    reference = declared(cli)
    incident = Incident.objects.get(reference=reference)
    assert reference.startswith("INC-")
    assert incident.severity.key == "major"
    declared_entry = incident.timeline.get(kind=EntryKind.EVENT)
    assert declared_entry.source == ActionSource.CLI
    assert declared_entry.author == responder


def test_declare_takes_every_field_option(cli, responder):
    reference = declared(
        cli,
        "--summary", "Card payments fail",
        "--impact", "Customers cannot pay",
        "--started-at", "2026-01-05T10:00:00Z",
        "--detected-at", "2026-01-05T10:20:00Z",
        "--tracker-url", "https://tracker.example.com/OPS-1",
        "--reported-by", "Support",
        "--report-medium", "email",
        "--detection", "reactive",
        "--users-affected", "40",
        "--security",
    )  # fmt: skip
    incident = Incident.objects.get(reference=reference)
    assert incident.impact == "Customers cannot pay"
    assert incident.started_at == datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    assert (incident.report_medium, incident.detection) == ("email", "reactive")
    assert incident.users_affected_count == 40
    assert incident.security is True


def test_a_naive_time_is_read_in_the_configured_time_zone(cli, responder, settings):
    settings.TIME_ZONE = "Europe/Paris"
    reference = declared(cli, "--started-at", "2026-01-05T10:00")
    started = Incident.objects.get(reference=reference).started_at
    assert started == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def test_a_bad_severity_exits_2_with_one_line_and_stores_nothing(cli, responder):
    run = cli(*DECLARE, "--severity", "x", "--as", "rita")
    assert run.code == 2
    assert run.err.startswith("error: severity: unknown level 'x'; use one of critical")
    assert len(run.err.strip().splitlines()) == 1
    assert "Traceback" not in run.err
    assert run.out == ""
    assert not Incident.objects.exists()


def test_a_malformed_time_exits_2_naming_the_option(cli, responder):
    run = cli(*DECLARE, "--severity", "major", "--as", "rita", "--started-at", "2026-13-45")
    assert run.code == 2
    assert run.err.startswith("error: --started-at: '2026-13-45' is not a date and time")
    assert not Incident.objects.exists()


def test_a_missing_required_option_exits_2_with_one_line(cli, responder):
    run = cli("declare", "--severity", "major", "--as", "rita")
    assert run.code == 2
    assert run.err.strip() == (
        "error: the following arguments are required: --title (see 'incidentdesk declare --help')"
    )


def test_writing_without_an_actor_exits_2_saying_how_to_set_it(cli, responder):
    run = cli(*DECLARE, "--severity", "major")
    assert run.code == 2
    assert "--as USERNAME" in run.err and "INCIDENTDESK_USER" in run.err
    assert not Incident.objects.exists()


def test_an_unknown_actor_exits_2(cli, responder):
    run = cli(*DECLARE, "--severity", "major", "--as", "nobody")
    assert run.code == 2
    assert "no active user 'nobody'" in run.err


def test_the_actor_can_come_from_the_environment(cli, responder, monkeypatch):
    monkeypatch.setenv("INCIDENTDESK_USER", "rita")
    run = cli(*DECLARE, "--severity", "major")
    assert run.code == 0, run.err
    assert Incident.objects.get().created_by == responder


def test_a_viewer_is_refused_with_exit_2(cli, viewer):
    run = cli(*DECLARE, "--severity", "major", "--as", "vic")
    assert run.code == 2
    assert "your role (viewer) may not do this" in run.err


def test_list_prints_a_table_with_lead_and_status(cli, responder):
    reference = declared(cli)
    assert cli("say", reference, "lead rita", "--as", "rita").code == 0
    run = cli("list")
    header, row = run.out.splitlines()[:2]
    assert header.split() == ["REF", "SEVERITY", "STATUS", "TITLE", "LEAD", "DECLARED"]
    assert row.startswith(reference)
    assert row.split()[1:3] == ["major", "investigating"]
    assert "Checkout is failing  rita" in row


def test_list_filters_by_status_severity_and_text(cli, responder):
    first = declared(cli)
    second = declared(cli)
    cli("update", second, "--title", "Search is slow", "--severity", "trivial", "--as", "rita")
    cli("resolve", first, "--as", "rita")
    assert second in cli("list", "--status", "open").out
    assert first not in cli("list", "--status", "open").out
    assert cli("list", "--severity", "sev3", "--q", "search").out.count("INC-") == 1
    assert "(none)" in cli("list", "--q", "nothing matches this").out


def test_list_and_show_json_use_the_api_shape(cli, responder, api_client):
    reference = declared(cli)
    listed = json.loads(cli("list", "--json").out)
    shown = json.loads(cli("show", reference, "--json").out)
    from_api = api_client(responder).call("GET", f"/incidents/{reference}").json_body
    assert listed[0] == from_api
    assert {k: v for k, v in shown.items() if k != "action_items"} == from_api
    assert shown["action_items"] == []


def test_show_prints_roles_key_times_and_measured_durations(cli, responder):
    run = cli(
        *DECLARE, "--severity", "trivial", "--as", "rita", "--kind", "retrospective",
        "--started-at", "2026-01-05T10:00Z", "--detected-at", "2026-01-05T10:45Z",
        "--resolved-at", "2026-01-05T12:15Z",
    )  # fmt: skip
    reference = run.out.strip()
    cli("say", reference, "action add an alert", "--as", "rita")
    out = cli("show", reference).out
    assert out.startswith(f"{reference}  Checkout is failing")
    assert "Reporter" in out
    assert "time to detect   45 minutes" in out
    assert "time to fix      1.5 hours" in out
    assert "time to recover  2.3 hours" in out
    assert "add an alert" in out
    assert "Timeline" not in out
    with_timeline = cli("show", reference, "--timeline").out
    assert "Reported after the fact by" in with_timeline


def test_show_timeline_json_lists_entries_in_order(cli, responder):
    reference = declared(cli)
    cli("say", reference, "note first", "--as", "rita")
    data = json.loads(cli("show", reference, "--json", "--timeline").out)
    assert [e["kind"] for e in data["timeline"]] == ["event", "note"]
    assert data["timeline"][1]["source"] == "cli"


def test_an_unknown_reference_exits_2(cli, responder):
    run = cli("show", "INC-1999-0001")
    assert run.code == 2
    assert run.err.startswith("error: reference: no incident 'INC-1999-0001'")


def test_update_changes_only_the_given_fields(cli, responder):
    reference = declared(cli, "--impact", "Customers cannot pay")
    run = cli(
        "update", reference, "--summary", "Card payments fail", "--severity", "1", "--as", "rita"
    )
    assert run.code == 0, run.err
    incident = Incident.objects.get(reference=reference)
    assert (incident.summary, incident.severity.key) == ("Card payments fail", "critical")
    assert incident.impact == "Customers cannot pay"
    change = incident.timeline.get(kind=EntryKind.FIELD_CHANGE)
    assert change.source == ActionSource.CLI
    assert set(change.data["changes"]) == {"summary", "severity"}


def test_update_with_nothing_to_change_exits_2(cli, responder):
    reference = declared(cli)
    run = cli("update", reference, "--as", "rita")
    assert run.code == 2
    assert "give at least one field" in run.err


def test_update_refuses_times_out_of_order_naming_the_field(cli, responder):
    reference = declared(cli, "--started-at", "2026-01-05T10:00Z")
    run = cli("update", reference, "--detected-at", "2026-01-05T09:00Z", "--as", "rita")
    assert run.code == 2
    assert run.err.startswith("error: detected_at:")


def test_say_note_records_a_note_from_the_cli(cli, responder):
    reference = declared(cli)
    run = cli("say", reference, "note", "hi", "--as", "rita")
    assert (run.code, run.out.strip()) == (0, "Note recorded.")
    note = TimelineEntry.objects.get(kind=EntryKind.NOTE)
    assert (note.body, note.source, note.author) == ("hi", ActionSource.CLI, responder)


def test_say_prints_warnings_on_stderr(cli, responder):
    reference = declared(cli)
    cli("say", reference, "lead rita", "--as", "rita")
    run = cli("say", reference, "scribe rita", "--as", "rita")
    assert run.code == 0
    assert run.err.startswith("warning: ") and "both lead and scribe" in run.err


def test_say_an_unknown_command_exits_2_with_the_help(cli, responder):
    reference = declared(cli)
    run = cli("say", reference, "frobnicate now", "--as", "rita")
    assert run.code == 2
    assert run.err.startswith("error: unknown command 'frobnicate'.")
    assert "note text" in run.err and "resolve message" in run.err
    assert run.out == ""
    assert not TimelineEntry.objects.filter(kind=EntryKind.NOTE).exists()


def test_resolve_and_close_a_trivial_incident(cli, responder, manager):
    reference = declared(cli)
    cli("update", reference, "--severity", "trivial", "--as", "rita")
    run = cli("resolve", reference, "--message", "Rolled back", "--as", "rita")
    assert run.out.strip() == f"{reference} is resolved."
    assert cli("close", reference, "--as", "rita").code == 2  # closing needs a manager
    run = cli("close", reference, "--reason", "Small and understood", "--as", "manny")
    assert (run.code, run.out.strip()) == (0, f"{reference} is closed.")
    incident = Incident.objects.get(reference=reference)
    assert incident.status == IncidentStatus.CLOSED
    assert incident.postmortem_waiver_reason == "Small and understood"


def test_closing_before_the_postmortem_exits_2_with_the_reason(cli, responder, manager):
    reference = declared(cli)
    cli("resolve", reference, "--as", "rita")
    run = cli("close", reference, "--as", "manny")
    assert run.code == 2
    assert "needs its postmortem published" in run.err


def test_call_command_raises_a_command_error_with_exit_code_2(responder):
    with pytest.raises(CommandError) as raised:
        call_command(
            "declare", title="x", severity="nope", criteria="immediate_response", as_user="rita"
        )
    assert raised.value.returncode == 2
    assert not Incident.objects.exists()

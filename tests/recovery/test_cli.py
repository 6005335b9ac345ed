"""The recovery commands of the `incidentdesk` CLI: `system`, `runbook` and `disaster`, acting
as --as, printing the API's JSON with --json, and exiting 2 naming the option on bad input."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.cli import JSONEncoder
from incidentdesk.recovery import selectors
from incidentdesk.recovery.models import (
    Disaster,
    Proposal,
    ProposalStatus,
    RunbookTemplate,
    StepKind,
    StepState,
    System,
)
from incidentdesk.statuspage.models import PublicIncident
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db


def test_an_admin_creates_lists_updates_and_deletes_a_system(cli, admin, olga, sam):
    ComponentFactory(name="Invoices")
    run = cli(
        "system", "create", "Billing", "--owner", "olga", "--rto", "60", "--rpo", "15",
        "--component", "Invoices", "--as", "admin",
    )  # fmt: skip
    assert run.code == 0, run.err
    system = System.objects.get()
    assert run.out.strip() == f"System {system.pk} (Billing) is created."
    assert [c.name for c in system.components.all()] == ["Invoices"]
    listed = json.loads(cli("system", "list", "--json").out)
    assert listed == json.loads(json.dumps([selectors.system_data(system)], cls=JSONEncoder))
    assert "olga" in cli("system", "list", "--as", "admin").out

    run = cli(
        "system", "update", "billing", "--owner", "sam", "--rto", "30", "--no-components",
        "--as", "admin",
    )  # fmt: skip
    assert run.code == 0, run.err
    system.refresh_from_db()
    assert (system.owner, system.rto_minutes, system.rpo_minutes) == (sam, 30, 15)
    assert not system.components.exists()
    shown = json.loads(cli("system", "show", str(system.pk), "--json").out)
    assert shown["rto_minutes"] == 30

    assert cli("system", "delete", "Billing", "--as", "admin").code == 0
    assert not System.objects.exists()


def test_bad_system_input_names_the_option(cli, admin, olga, responder):
    run = cli("system", "create", "Billing", "--owner", "olga", "--rto", "0", "--rpo", "15",
              "--as", "admin")  # fmt: skip
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--rto")
    run = cli("system", "create", "Billing", "--owner", "nobody", "--rto", "5", "--rpo", "15",
              "--as", "admin")  # fmt: skip
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--owner")
    run = cli("system", "create", "Billing", "--owner", "olga", "--rto", "5", "--rpo", "15",
              "--as", responder.username)  # fmt: skip
    assert run.code == 2
    run = cli("system", "show", "Nothing")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "SYSTEM")
    assert not System.objects.exists()


def test_a_runbook_is_created_from_its_steps_in_order(cli, admin, billing, olga):
    run = cli(
        "runbook", "create", "Billing restore", "--system", "Billing",
        "--standard", "restore_data", "--owner", "olga",
        "--step", "Replay the payment queue", "--webhook", "https://ops.example.com/replay",
        "--verify", "Invoices add up", "--as", "admin",
    )  # fmt: skip
    assert run.code == 0, run.err
    template = RunbookTemplate.objects.get()
    steps = list(template.steps.order_by("position"))
    assert [(s.title, s.kind, s.standard) for s in steps] == [
        ("Restore the data into another environment", StepKind.RECOVERY, "restore_data"),
        ("Replay the payment queue", StepKind.RECOVERY, ""),
        ("Invoices add up", StepKind.VERIFICATION, ""),
    ]
    assert (steps[0].owner, steps[1].webhook_url) == (olga, "https://ops.example.com/replay")
    assert template.system == billing
    shown = cli("runbook", "show", "billing restore", "--as", "admin").out
    assert "3. Invoices add up (verification)" in shown
    listed = json.loads(cli("runbook", "list", "--json", "--as", "admin").out)
    assert [t["name"] for t in listed] == ["Billing restore"]

    run = cli("runbook", "update", "Billing restore", "--no-system", "--verify", "Smoke test",
              "--as", "admin")  # fmt: skip
    assert run.code == 0, run.err
    template.refresh_from_db()
    assert template.system is None
    assert [s.title for s in template.steps.all()] == ["Smoke test"]
    assert cli("runbook", "delete", str(template.pk), "--as", "admin").code == 0
    assert not RunbookTemplate.objects.exists()


def test_a_runbook_without_steps_is_the_built_in_one(cli, admin):
    assert cli("runbook", "create", "Default", "--as", "admin").code == 0
    steps = RunbookTemplate.objects.get().steps.order_by("position")
    assert [s.kind for s in steps].count(StepKind.VERIFICATION) == 1
    assert len(steps) == 5


def test_bad_runbook_steps_are_refused_naming_which_step(cli, admin):
    run = cli("runbook", "create", "R", "--step", "Restore", "--as", "admin")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--step")
    assert "verification" in run.err
    run = cli("runbook", "create", "R", "--step", "Restore", "--verify", " ", "--as", "admin")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--step[1]")
    run = cli("runbook", "create", "R", "--owner", "olga", "--verify", "x", "--as", "admin")
    assert run.code == 2 and "--owner" in run.err
    run = cli("runbook", "create", "R", "--standard", "pray", "--verify", "x", "--as", "admin")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--step[0]")
    assert not RunbookTemplate.objects.exists()


# Disasters ------------------------------------------------------------------------------------


def declare(cli, incident, *args):
    return cli("disaster", "declare", incident.reference, *args)


def test_a_disaster_is_declared_and_shown(cli, incident, responder, billing, search):
    run = declare(cli, incident, "--system", "Billing", "--system", "Search",
                  "--planned-work", "Sprint 42", "--as", responder.username)  # fmt: skip
    assert run.code == 0, run.err
    assert run.out.strip() == (
        f"A disaster is declared on {incident.reference}; the decision-maker is olga."
    )
    disaster = Disaster.objects.get()
    assert (disaster.planned_work, disaster.planned_work_stopped_by) == ("Sprint 42", responder)
    shown = json.loads(cli("disaster", "show", incident.reference, "--json",
                           "--as", responder.username).out)  # fmt: skip
    assert shown == json.loads(json.dumps(selectors.disaster_data(disaster), cls=JSONEncoder))
    text = cli("disaster", "show", incident.reference, "--as", responder.username).out
    assert "Billing: operational" in text and "Search: operational" in text
    listed = json.loads(cli("disaster", "list", "--json", "--as", responder.username).out)
    assert len(listed) == 1


def test_declaring_without_a_system_names_the_option(cli, incident, responder, billing):
    run = declare(cli, incident, "--as", responder.username)
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--system")
    run = declare(cli, incident, "--system", "Nope", "--as", responder.username)
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--system")
    run = cli("disaster", "declare", "INC-1999-0001", "--system", "Billing",
              "--as", responder.username)  # fmt: skip
    assert (run.code, run.err.split(":")[1].strip()) == (2, "REF")
    assert not Disaster.objects.exists()


def test_only_the_decision_maker_moves_a_state_others_propose(
    cli, disaster, affected, responder, olga
):
    ref = disaster.incident.reference
    run = cli("disaster", "state", ref, "Billing", "offline", "--reason", "disk gone",
              "--as", responder.username)  # fmt: skip
    assert run.code == 2 and "propose" in run.err
    run = cli("disaster", "state", ref, "Billing", "offline", "--reason", "disk gone",
              "--propose", "--as", responder.username)  # fmt: skip
    assert run.code == 0, run.err
    proposal = Proposal.objects.get()
    assert run.out.startswith(f"Proposal {proposal.pk}: Billing operational → offline")
    run = cli("disaster", "accept", ref, str(proposal.pk), "--as", "olga")
    assert run.code == 0, run.err
    affected.refresh_from_db()
    assert affected.state == "offline"

    run = cli("disaster", "propose", ref, "Billing", "restoring", "--reason", "backup found",
              "--consulted", "Ada", "--as", responder.username)  # fmt: skip
    assert run.code == 0, run.err
    second = Proposal.objects.get(status=ProposalStatus.OPEN)
    assert second.consulted == ["Ada"]
    run = cli("disaster", "decline", ref, str(second.pk), "--as", "olga")
    assert run.code == 2 and "--note" in run.err
    run = cli("disaster", "decline", ref, str(second.pk), "--note", "not yet", "--as", "olga")
    assert run.code == 0, run.err
    second.refresh_from_db()
    assert second.status == ProposalStatus.DECLINED


def test_a_move_refused_names_the_state_and_the_allowed_ones(cli, disaster, affected, olga):
    ref = disaster.incident.reference
    run = cli("disaster", "state", ref, "Billing", "restored", "--reason", "x", "--as", "olga")
    assert run.code == 2
    assert run.err.startswith("error: STATE:") and "maintenance, read_only, offline" in run.err
    run = cli("disaster", "state", ref, "Billing", "read-only", "--as", "olga")
    assert run.code == 2 and "--reason" in run.err
    run = cli("disaster", "state", ref, "Billing", "read-only", "--reason", "copying",
              "--recovery-point", "yesterday", "--as", "olga")  # fmt: skip
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--recovery-point")
    affected.refresh_from_db()
    assert affected.state == "operational" and not affected.changes.exists()


def test_steps_are_recorded_with_evidence_and_the_gate_holds_restored(
    cli, disaster, affected, olga, responder
):
    ref = disaster.incident.reference
    for state in ("offline", "restoring", "verifying"):
        run = cli("disaster", "state", ref, "Billing", state, "--reason", "next", "--as", "olga")
        assert run.code == 0, run.err
    run = cli("disaster", "state", ref, "Billing", "restored", "--reason", "done", "--as", "olga")
    assert run.code == 2 and run.err.startswith("error: STATE:")
    verification = affected.steps.get(kind=StepKind.VERIFICATION)
    assert f"{verification.position}" in run.err

    run = cli("disaster", "step", ref, str(verification.position), "done", "--as", "rita")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--evidence")
    run = cli("disaster", "step", ref, str(verification.position), "done",
              "--evidence", "all 412 checks green", "--owner", "olga", "--as", "rita")  # fmt: skip
    assert run.code == 0, run.err
    verification.refresh_from_db()
    assert (verification.state, verification.owner) == (StepState.DONE, olga)
    run = cli("disaster", "step", ref, "9", "done", "--evidence", "x", "--as", "rita")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "STEP")

    run = cli("disaster", "state", ref, "Billing", "restored", "--reason", "done", "--as", "olga")
    assert run.code == 0, run.err
    affected.refresh_from_db()
    assert affected.state == "restored" and affected.restored_at is not None


def test_a_public_move_applies_the_preview_and_a_drill_never_does(
    cli, declare, manager, admin, billing
):
    live = declare(title="Billing lost data")
    run = cli("disaster", "declare", live.reference, "--system", "Billing",
              "--decision-maker", "manny", "--as", "manny")  # fmt: skip
    assert run.code == 0, run.err
    preview = cli("disaster", "preview", live.reference, "Billing", "read_only", "--as", "manny")
    assert "component Invoices: degraded_performance" in preview.out
    assert "banner (read_only)" in preview.out
    run = cli("disaster", "state", live.reference, "Billing", "read_only", "--reason", "copy",
              "--public", "--public-message", "Billing is read-only.", "--as", "manny")  # fmt: skip
    assert run.code == 0, run.err
    publication = PublicIncident.objects.get(incident=live)
    assert publication.updates.filter(body="Billing is read-only.").exists()

    drill = declare(title="Drill")
    run = cli("disaster", "declare", drill.reference, "--system", "Billing", "--drill",
              "--decision-maker", "manny", "--as", "manny")  # fmt: skip
    assert run.code == 0, run.err
    preview = cli("disaster", "preview", drill.reference, "Billing", "offline", "--as", "manny")
    assert preview.out.strip() == "A drill changes nothing public."
    run = cli("disaster", "state", drill.reference, "Billing", "offline", "--reason", "drill",
              "--public", "--as", "manny")  # fmt: skip
    assert run.code == 0, run.err
    assert not PublicIncident.objects.filter(incident=drill).exists()


def test_a_public_move_to_maintenance_opens_the_window_until_the_time_given_or_none(
    cli, disaster, affected, olga
):
    ref = disaster.incident.reference
    preview = cli("disaster", "preview", ref, "Billing", "maintenance", "--as", "olga")
    assert "maintenance window until:" in preview.out
    run = cli("disaster", "state", ref, "Billing", "maintenance", "--reason", "copy",
              "--maintenance-until", "2020-01-01T10:00", "--as", "olga")  # fmt: skip
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--maintenance-until")
    affected.refresh_from_db()
    assert affected.state == "operational" and not PublicIncident.objects.exists()

    until = (timezone.now() + timedelta(hours=5)).replace(microsecond=0)
    run = cli("disaster", "state", ref, "Billing", "maintenance", "--reason", "copy",
              "--maintenance-until", until.isoformat(), "--as", "olga")  # fmt: skip
    assert run.code == 0, run.err
    window = PublicIncident.objects.get(is_maintenance=True)
    assert window.scheduled_until == until and window.created_by == olga

    for state in ("restoring", "maintenance"):  # back to maintenance, this time with no window
        words = ("--public", "--no-maintenance") if state == "maintenance" else ()
        run = cli("disaster", "state", ref, "Billing", state, "--reason", "next", *words,
                  "--as", "olga")  # fmt: skip
        assert run.code == 0, run.err
    assert PublicIncident.objects.filter(is_maintenance=True).count() == 1


def test_planned_work_add_system_and_resume_refused_before_the_postmortem(
    cli, disaster, olga, search
):
    ref = disaster.incident.reference
    run = cli("disaster", "planned-work", ref, "Sprint 7", "--url", "https://t.example.com/7",
              "--as", "olga")  # fmt: skip
    assert run.code == 0, run.err
    run = cli("disaster", "planned-work", ref, "Sprint 8", "--as", "olga")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "NAME")
    run = cli("disaster", "add-system", ref, "Search", "--as", "olga")
    assert run.code == 0, run.err
    assert disaster.systems.count() == 2
    run = cli("disaster", "step", ref, "1", "running", "--as", "olga")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--system")
    run = cli("disaster", "resume", ref, "--as", "olga")
    assert run.code == 2 and run.err.startswith("error: postmortem:")


def test_a_restricted_incident_s_disaster_is_unknown_to_who_may_not_see_it(
    cli, declare, admin, billing, viewer
):
    secret = declare(actor=admin, title="Breach", security=True)
    assert cli("disaster", "declare", secret.reference, "--system", "Billing",
               "--as", "admin").code == 0  # fmt: skip
    run = cli("disaster", "show", secret.reference, "--as", viewer.username)
    assert (run.code, run.err.split(":")[1].strip()) == (2, "REF")
    assert json.loads(cli("disaster", "list", "--json", "--as", viewer.username).out) == []

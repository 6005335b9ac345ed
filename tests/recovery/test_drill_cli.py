"""A drill run end to end from the command line, each step a real `incidentdesk` process on
its own database (a SQLite file, and again a PostgreSQL database of its own when the suite
runs on PostgreSQL): an incident is declared, a system created, a drill declared with the
sprint it stops; the system goes read-only, restoring (on a proposal the decision-maker
accepts) and verifying; the runbook is worked through with evidence; the verification gate
holds `restored` until its test is done; the incident is resolved, its postmortem published
through the postmortem commands, and business as usual resumed. The measured times are kept
and nothing public was ever touched."""

import json
from datetime import UTC, datetime, timedelta

from tests.oncall.test_paging_worker_crash import database, query  # noqa: F401 - the fixture
from tests.processes import incidentdesk

PASSWORD = "correct-horse-battery-staple\n"

# The people and the component, made once (a process of its own).
SETUP = """
from incidentdesk.accounts.models import User
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services.catalog import component_save
root = User.objects.get(username="root")
for name, role in [("olga", "responder"), ("rita", "responder"), ("manny", "manager")]:
    User.objects.create_user(name, f"{name}@example.com", role=role)
component_save(actor=root, source=ActionSource.CLI, name="Invoices")
print("ready")
"""


def ok(env, *args: str, stdin: str = "") -> str:
    done = incidentdesk(env, *args, stdin=stdin)
    assert done.returncode == 0, f"{args}: {done.stderr}"
    return done.stdout


def refused(env, *args: str) -> str:
    done = incidentdesk(env, *args)
    assert done.returncode == 2, f"{args} was not refused: {done.stdout}"
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr.strip()


def public_rows(env) -> dict:
    """What the status page holds: publications, their updates, component changes and
    statuses, the banner."""
    return {
        "publications": query(env, "SELECT id FROM statuspage_publicincident"),
        "updates": query(env, "SELECT id FROM statuspage_publicupdate"),
        "component changes": query(env, "SELECT id FROM statuspage_componentstatuschange"),
        "components": query(env, "SELECT name, status FROM incidents_component ORDER BY name"),
        "banner": query(env, "SELECT banner_active, banner_message FROM statuspage_pagesettings"),
    }


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_a_drill_runs_from_the_command_line_end_to_end(own_env, database):  # noqa: F811
    env = dict(own_env, **database)
    ok(env, "migrate", "-v0")
    ok(env, "user", "create", "--username", "root", "--email", "root@example.com", stdin=PASSWORD)
    assert ok(env, "shell", "-c", SETUP).strip().endswith("ready")
    before = public_rows(env)
    assert before["components"] == [("Invoices", "operational")]

    started = datetime.now(UTC) - timedelta(minutes=30)
    ref = ok(
        env, "declare", "--title", "Billing database lost", "--severity", "sev1",
        "--criteria", "immediate_response", "--started-at", started.isoformat(), "--as", "rita",
    ).strip()  # fmt: skip
    ok(env, "system", "create", "Billing", "--owner", "olga", "--rto", "240", "--rpo", "60",
       "--component", "Invoices", "--as", "root")  # fmt: skip
    out = ok(env, "disaster", "declare", ref, "--system", "Billing", "--drill",
             "--planned-work", "Sprint 42", "--as", "rita")  # fmt: skip
    assert out.strip() == f"A drill is declared on {ref}; the decision-maker is olga."

    # Read-only, by the decision-maker; the public change asked for is ignored in a drill.
    out = ok(env, "disaster", "state", ref, "Billing", "read-only", "--reason", "stop writes",
             "--consulted", "rita", "--public", "--as", "olga")  # fmt: skip
    assert out.strip() == "Billing: operational → read_only."
    # Restoring, proposed by a responder and accepted.
    assert "propose" in refused(env, "disaster", "state", ref, "Billing", "restoring",
                                "--reason", "backup found", "--as", "rita")  # fmt: skip
    out = ok(env, "disaster", "propose", ref, "Billing", "restoring", "--reason",
             "the 03:00 backup is sound", "--as", "rita")  # fmt: skip
    proposal = out.split(":", 1)[0].removeprefix("Proposal ")
    ok(env, "disaster", "accept", ref, proposal, "--as", "olga")
    recovery_point = started - timedelta(minutes=20)
    ok(env, "disaster", "state", ref, "Billing", "verifying", "--reason", "restored into B",
       "--recovery-point", recovery_point.isoformat(), "--evidence", "restore log 7f3a",
       "--as", "olga")  # fmt: skip

    # The runbook: the four standard steps, then the verification the gate waits for.
    shown = json.loads(ok(env, "disaster", "show", ref, "--json", "--as", "rita"))
    steps = shown["systems"][0]["steps"]
    assert len(steps) == 5
    verification = [s for s in steps if s["kind"] == "verification"]
    assert len(verification) == 1
    for step in steps:
        if step is not verification[0]:
            ok(env, "disaster", "step", ref, str(step["position"]), "done", "--evidence",
               f"did {step['title'].lower()}", "--as", "rita")  # fmt: skip
    gate = refused(env, "disaster", "state", ref, "Billing", "restored", "--reason", "all done",
                   "--as", "olga")  # fmt: skip
    assert gate.startswith("error: STATE:") and verification[0]["title"] in gate
    ok(env, "disaster", "step", ref, str(verification[0]["position"]), "done",
       "--evidence", "412 checks green", "--as", "rita")  # fmt: skip
    out = ok(env, "disaster", "state", ref, "Billing", "restored", "--reason", "verified",
             "--public", "--as", "olga")  # fmt: skip
    assert out.strip() == "Billing: verifying → restored."

    # Business as usual waits for the published postmortem.
    assert refused(env, "disaster", "resume", ref, "--as", "olga").startswith("error: postmortem:")
    ok(env, "resolve", ref, "--message", "restored from backup", "--as", "rita")
    ok(env, "postmortem", "start", ref, "--as", "rita")
    ok(env, "postmortem", "edit", ref, "--taxonomy", "INFRASTRUCTURE_ERROR", "--as", "rita")
    ok(env, "postmortem", "review", ref, "in_review", "--reviewer", "manny", "--as", "rita")
    ok(env, "postmortem", "review", ref, "published", "--as", "manny")
    assert "resumed" in ok(env, "disaster", "resume", ref, "--note", "back to Sprint 42",
                           "--as", "olga")  # fmt: skip

    # The measured times are kept; nothing public moved.
    shown = json.loads(ok(env, "disaster", "show", ref, "--json", "--as", "rita"))
    assert shown["drill"] is True and shown["resumed_at"]
    billing = shown["systems"][0]
    assert billing["state"] == "restored"
    interrupted, restored = moment(shown["interrupted_at"]), moment(billing["restored_at"])
    assert abs(interrupted - started) < timedelta(seconds=1)
    assert restored - interrupted >= timedelta(minutes=30)
    assert abs(moment(billing["last_recovery_point_at"]) - recovery_point) < timedelta(seconds=1)
    measured = billing["measures"]
    assert measured["recovery_seconds"] == int((restored - interrupted).total_seconds())
    assert abs(measured["data_loss_seconds"] - 20 * 60) <= 1
    assert (measured["rto_met"], measured["rpo_met"], measured["running"]) == (True, True, False)
    text = ok(env, "disaster", "show", ref, "--as", "rita")
    assert "Recovered in 3" in text and "(RTO 4 hours: met)" in text
    assert "Data lost: 20 minutes (RPO 1 hour: met)" in text
    assert public_rows(env) == before

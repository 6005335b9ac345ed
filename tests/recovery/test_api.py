"""The disaster recovery endpoints of the JSON API: systems, disasters and their moves,
proposals, runbook steps, planned work, business as usual and runbook templates, answered with
the selectors' JSON (as the CLI's --json), each refusal a 4xx naming the field and changing
nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.recovery import services
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    ProposalStatus,
    RunbookStep,
    RunbookTemplate,
    StateChange,
    StepKind,
    StepState,
    System,
)
from incidentdesk.statuspage.models import PageSettings, PublicIncident

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def disaster(olga, billing, incident, responder):
    """Billing's disaster on `incident`, declared by a responder; olga decides."""
    return services.disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=[billing]
    )


@pytest.fixture
def olga_api(api_client, olga):
    return api_client(olga)


@pytest.fixture
def moves(disaster):
    return f"/disasters/{disaster.pk}/transitions"


def _billing(disaster) -> AffectedSystem:
    return disaster.systems.get(system__name="Billing")


# Systems -----------------------------------------------------------------------------------


def test_an_admin_creates_reads_changes_and_deletes_a_system(boss, olga):
    body = {"name": "Billing", "owner": "olga", "rto_minutes": 60, "rpo_minutes": 15}
    created = boss.call("POST", "/systems", body)
    assert created.status_code == 201, created.json_body
    system = System.objects.get(name="Billing")
    assert (system.owner, system.rto_minutes, system.rpo_minutes) == (olga, 60, 15)
    assert boss.call("GET", f"/systems/{system.pk}").json_body == created.json_body
    assert [s["name"] for s in boss.call("GET", "/systems").json_body] == ["Billing"]

    changed = boss.call("PATCH", f"/systems/{system.pk}", {"rto_minutes": 30})
    assert changed.status_code == 200, changed.json_body
    system.refresh_from_db()
    assert (system.rto_minutes, system.rpo_minutes) == (30, 15)

    assert boss.call("DELETE", f"/systems/{system.pk}").status_code == 204
    assert boss.call("GET", f"/systems/{system.pk}").status_code == 404
    assert not System.objects.exists()


def test_a_responder_may_read_the_systems_but_not_write_them(rita, billing):
    assert rita.call("GET", "/systems").status_code == 200
    body = {"name": "Search", "owner": "olga", "rto_minutes": 60, "rpo_minutes": 15}
    assert rita.call("POST", "/systems", body).status_code == 403
    assert rita.call("PATCH", f"/systems/{billing.pk}", {"rto_minutes": 1}).status_code == 403
    assert rita.call("DELETE", f"/systems/{billing.pk}").status_code == 403
    billing.refresh_from_db()
    assert billing.rto_minutes == 60
    assert list(System.objects.values_list("name", flat=True)) == ["Billing"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rto_minutes": 0}, "rto_minutes"),
        ({"rpo_minutes": 525_601}, "rpo_minutes"),
        ({"name": "billing"}, "name"),
        ({"owner": "nobody"}, "owner"),
        ({"colour": "red"}, "colour"),
        ({"rto_minutes": "60"}, "rto_minutes"),
    ],
)
def test_a_bad_system_is_a_422_naming_the_field_and_stores_nothing(boss, billing, change, field):
    body = {"name": "Search", "owner": "olga", "rto_minutes": 60, "rpo_minutes": 15, **change}
    response = boss.call("POST", "/systems", body)
    assert (response.status_code, response.json_body["field"]) == (422, field)
    assert list(System.objects.values_list("name", flat=True)) == ["Billing"]


def test_a_system_a_disaster_has_cannot_be_deleted(boss, disaster, billing):
    response = boss.call("DELETE", f"/systems/{billing.pk}")
    assert (response.status_code, response.json_body["field"]) == (409, "system")
    assert System.objects.filter(pk=billing.pk).exists()


def test_an_unknown_system_id_is_a_404(boss):
    for method in ("GET", "PATCH", "DELETE"):
        response = boss.call(method, "/systems/999", {} if method == "PATCH" else None)
        assert (response.status_code, response.json_body["field"]) == (404, "system"), method


# Declaring ---------------------------------------------------------------------------------


def test_a_responder_declares_a_disaster_by_the_incident_reference(rita, incident, billing, olga):
    body = {"incident": incident.reference.lower(), "systems": ["billing"], "drill": True}
    response = rita.call("POST", "/disasters", body)
    assert response.status_code == 201, response.json_body
    disaster = Disaster.objects.get(incident=incident)
    assert disaster.drill
    assert response.json_body["id"] == disaster.pk
    assert response.json_body["decision_maker"] == "olga"
    assert [a.system for a in disaster.systems.all()] == [billing]
    assert rita.call("GET", f"/disasters/{disaster.pk}").json_body == response.json_body
    assert [d["id"] for d in rita.call("GET", "/disasters").json_body] == [disaster.pk]


def test_declaring_names_the_decision_maker_and_the_planned_work_stopped(
    rita, incident, billing, search, sam
):
    body = {
        "incident": incident.reference,
        "systems": ["Search", billing.pk],
        "decision_maker": "sam",
        "planned_work": "Sprint 14",
        "planned_work_url": "https://tracker.example.com/sprints/14",
    }
    response = rita.call("POST", "/disasters", body)
    assert response.status_code == 201, response.json_body
    disaster = Disaster.objects.get(incident=incident)
    assert services.decision_maker_of(disaster) == sam
    assert [a.system.name for a in disaster.systems.order_by("position")] == ["Search", "Billing"]
    assert disaster.planned_work == "Sprint 14" and disaster.planned_work_stopped_at


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"systems": []}, 422, "systems"),
        ({"systems": ["Nothing"]}, 422, "systems"),
        ({"incident": "INC-1999-0001"}, 404, "incident"),
        ({"drill": "yes"}, 422, "drill"),
        ({"interrupted_at": 1767225600}, 422, "interrupted_at"),
    ],
)
def test_a_bad_declaration_is_refused_naming_the_field_and_declares_nothing(
    rita, incident, billing, change, status, field
):
    body = {"incident": incident.reference, "systems": ["Billing"], **change}
    response = rita.call("POST", "/disasters", body)
    assert (response.status_code, response.json_body["field"]) == (status, field)
    assert not Disaster.objects.exists()


def test_an_incident_already_a_disaster_is_a_409(rita, disaster, incident):
    body = {"incident": incident.reference, "systems": ["Billing"]}
    response = rita.call("POST", "/disasters", body)
    assert (response.status_code, response.json_body["field"]) == (409, "incident")
    assert Disaster.objects.count() == 1


def test_a_viewer_cannot_declare_a_disaster(client, viewer, incident, billing):
    client.force_login(viewer)
    body = {"incident": incident.reference, "systems": ["Billing"]}
    response = client.post("/api/v1/disasters", body, content_type="application/json")
    assert response.status_code == 403
    assert not Disaster.objects.exists()


def test_the_disaster_of_a_restricted_incident_is_unknown_to_outsiders(
    api_client, declare, olga, billing, make_user
):
    lead = make_user(Role.RESPONDER, username="lead")
    hidden = declare(actor=lead, title="Breach", restricted=True)
    assert hidden.restricted
    disaster = services.disaster_declare(
        actor=lead, source=WEB, incident=hidden, systems=[billing], decision_maker=lead
    )
    outsider = api_client(make_user(Role.RESPONDER, username="ron"))
    assert outsider.call("GET", "/disasters").json_body == []
    for method, path in [
        ("GET", f"/disasters/{disaster.pk}"),
        ("POST", f"/disasters/{disaster.pk}/resume"),
    ]:
        response = outsider.call(method, path, {} if method == "POST" else None)
        assert (response.status_code, response.json_body["field"]) == (404, "disaster")
    body = {"incident": hidden.reference, "systems": ["Billing"]}
    assert outsider.call("POST", "/disasters", body).status_code in (404, 409)


# Moves and proposals -----------------------------------------------------------------------


def test_the_decision_maker_moves_a_system_and_gets_201_with_the_change(olga_api, disaster, moves):
    body = {
        "system": "Billing",
        "state": "read_only",
        "reason": "Writes corrupt invoices",
        "consulted": ["Ada", "Bob"],
        "evidence": "https://grafana.example.com/d/1",
    }
    response = olga_api.call("POST", moves, body)
    assert response.status_code == 201, response.json_body
    change = StateChange.objects.get()
    assert response.json_body["id"] == change.pk
    assert (response.json_body["from_state"], response.json_body["to_state"]) == (
        "operational",
        "read_only",
    )
    assert response.json_body["consulted"] == ["Ada", "Bob"]
    assert _billing(disaster).state == "read_only"
    entry = disaster.incident.timeline.filter(kind="decision", source="api").last()
    assert "Writes corrupt invoices" in entry.body


def test_someone_else_moving_is_a_403_naming_the_decision_maker_and_records_nothing(
    rita, disaster, moves
):
    before = TimelineEntry.objects.count()
    body = {"system": "Billing", "state": "offline", "reason": "Stop the bleeding"}
    response = rita.call("POST", moves, body)
    assert response.status_code == 403
    assert "olga" in response.json_body["detail"].lower()
    assert _billing(disaster).state == "operational"
    assert not Proposal.objects.exists() and not StateChange.objects.exists()
    assert TimelineEntry.objects.count() == before


def test_someone_else_proposing_gets_202_and_the_decision_maker_accepts(
    rita, olga_api, disaster, moves
):
    body = {"system": "Billing", "state": "offline", "reason": "Stop the bleeding", "propose": True}
    proposed = rita.call("POST", moves, body)
    assert proposed.status_code == 202, proposed.json_body
    proposal = Proposal.objects.get()
    assert proposed.json_body["id"] == proposal.pk
    assert proposed.json_body["status"] == "open"
    assert _billing(disaster).state == "operational"

    path = f"/disasters/{disaster.pk}/proposals/{proposal.pk}/accept"
    assert rita.call("POST", path, {}).status_code == 403
    accepted = olga_api.call("POST", path, {"note": "Agreed"})
    assert accepted.status_code == 200, accepted.json_body
    assert accepted.json_body["proposal"] == proposal.pk
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED
    assert _billing(disaster).state == "offline"
    again = olga_api.call("POST", path, {})
    assert (again.status_code, again.json_body["field"]) == (409, "proposal")


def test_the_decision_maker_declines_a_proposal_with_a_note(rita, olga_api, disaster, moves):
    body = {"system": "Billing", "state": "offline", "reason": "Stop it", "propose": True}
    proposal_id = rita.call("POST", moves, body).json_body["id"]
    path = f"/disasters/{disaster.pk}/proposals/{proposal_id}/decline"
    no_note = olga_api.call("POST", path, {})
    assert (no_note.status_code, no_note.json_body["field"]) == (422, "note")
    declined = olga_api.call("POST", path, {"note": "Read-only is enough"})
    assert declined.status_code == 200, declined.json_body
    assert declined.json_body["status"] == "declined"
    assert Proposal.objects.get().status == ProposalStatus.DECLINED
    unknown = olga_api.call(
        "POST", f"/disasters/{disaster.pk}/proposals/999/decline", {"note": "x"}
    )
    assert (unknown.status_code, unknown.json_body["field"]) == (404, "proposal")


@pytest.mark.parametrize(
    ("change", "status", "field"),
    [
        ({"state": "restored"}, 409, "state"),
        ({"state": "sideways"}, 422, "state"),
        ({"reason": ""}, 422, "reason"),
        ({"system": "Search"}, 422, "system"),
        ({"consulted": ["x" * 101]}, 422, "consulted"),
        ({"propose": 1}, 422, "propose"),
        ({"public": {"colour": "red"}}, 422, "public.colour"),
        ({"public": {"components": {"Invoices": "major_outage"}}}, 422, "public.message"),
        (
            {"public": {"components": {"Nothing": "major_outage"}, "message": "x"}},
            422,
            "public.components.Nothing",
        ),
    ],
)
def test_a_bad_move_is_refused_naming_the_field_and_changes_nothing(
    olga_api, disaster, moves, search, change, status, field, recovery_state
):
    before = recovery_state()
    body = {"system": "Billing", "state": "read_only", "reason": "Writes fail", **change}
    response = olga_api.call("POST", moves, body)
    assert (response.status_code, response.json_body["field"]) == (status, field)
    assert recovery_state() == before


def test_a_move_not_allowed_lists_the_allowed_ones(olga_api, disaster, moves):
    body = {"system": "Billing", "state": "verifying", "reason": "Skip ahead"}
    response = olga_api.call("POST", moves, body)
    assert response.status_code == 409
    assert "maintenance, read_only, offline" in response.json_body["detail"]


def _walk_to_verifying(olga_api, moves):
    for state in ("offline", "restoring", "verifying"):
        body = {"system": "Billing", "state": state, "reason": f"Now {state}"}
        assert olga_api.call("POST", moves, body).status_code == 201


def test_restored_waits_for_the_verification_steps_unless_overridden(olga_api, disaster, moves):
    _walk_to_verifying(olga_api, moves)
    body = {"system": "Billing", "state": "restored", "reason": "Looks fine"}
    refused = olga_api.call("POST", moves, body)
    assert (refused.status_code, refused.json_body["field"]) == (409, "state")
    assert "verification" in refused.json_body["detail"].lower()
    assert _billing(disaster).state == "verifying"

    body["override_reason"] = "The test suite is down; checked by hand"
    restored = olga_api.call("POST", moves, body)
    assert restored.status_code == 201, restored.json_body
    affected = _billing(disaster)
    assert affected.state == "restored"
    assert affected.gate_override_reason == "The test suite is down; checked by hand"


def test_the_preview_offers_the_public_change_of_a_move(olga_api, disaster, billing):
    path = f"/disasters/{disaster.pk}/preview?system=billing&state=read-only"
    response = olga_api.call("GET", path)
    assert response.status_code == 200, response.json_body
    ids = {str(c.pk) for c in billing.components.all()}
    assert set(response.json_body["components"]) == ids
    assert set(response.json_body["components"].values()) == {"degraded_performance"}
    assert response.json_body["banner"]["kind"] == "read_only"
    bad = olga_api.call("GET", f"/disasters/{disaster.pk}/preview?system=Billing&state=up")
    assert (bad.status_code, bad.json_body["field"]) == (422, "state")


def test_a_move_with_its_public_change_updates_the_status_page(olga_api, disaster, moves, billing):
    preview = olga_api.call(
        "GET", f"/disasters/{disaster.pk}/preview?system=Billing&state=read_only"
    ).json_body
    body = {"system": "Billing", "state": "read_only", "reason": "Writes fail", "public": preview}
    response = olga_api.call("POST", moves, body)
    assert response.status_code == 201, response.json_body
    assert {c.status for c in billing.components.all()} == {"degraded_performance"}
    # The read-only banner goes with the decision-maker's move, though olga is no page manager.
    page = PageSettings.load()
    assert (page.banner_active, page.banner_kind) == (True, "read_only")
    assert _billing(disaster).state == "read_only"


def test_a_move_to_maintenance_opens_the_maintenance_window_the_preview_offers_edited(
    olga_api, disaster, moves
):
    preview = olga_api.call(
        "GET", f"/disasters/{disaster.pk}/preview?system=Billing&state=maintenance"
    ).json_body
    assert preview["maintenance"]["until"]
    body = {"system": "Billing", "state": "maintenance", "reason": "Copy", "public": preview}
    past = {**preview, "maintenance": {"until": "2026-01-01T00:00:00+00:00"}}
    refused = olga_api.call("POST", moves, {**body, "public": past})
    assert (refused.status_code, refused.json_body["field"]) == (422, "public.maintenance.until")
    assert _billing(disaster).state == "operational" and not PublicIncident.objects.exists()

    until = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    edited = {**preview, "maintenance": {"until": until.isoformat()}}
    response = olga_api.call("POST", moves, {**body, "public": edited})
    assert response.status_code == 201, response.json_body
    window = PublicIncident.objects.get(is_maintenance=True)
    assert window.scheduled_until == until
    assert window.name == "Maintenance of Invoices and Payments API"


# Runbook steps, systems, planned work, business as usual ------------------------------------


def test_a_step_is_done_only_with_evidence(rita, disaster):
    step = _billing(disaster).steps.order_by("position").first()
    path = f"/disasters/{disaster.pk}/steps/{step.pk}"
    refused = rita.call("PATCH", path, {"state": "done"})
    assert (refused.status_code, refused.json_body["field"]) == (422, "evidence")
    step.refresh_from_db()
    assert step.state == StepState.PENDING

    done = rita.call("PATCH", path, {"state": "done", "evidence": "Billing is read-only"})
    assert done.status_code == 200, done.json_body
    step.refresh_from_db()
    assert (step.state, step.evidence) == ("done", "Billing is read-only")
    assert step.finished_at is not None and step.finished_by is not None


def test_a_step_owner_and_state_change_together_or_not_at_all(rita, disaster, sam):
    step = _billing(disaster).steps.order_by("position").first()
    path = f"/disasters/{disaster.pk}/steps/{step.pk}"
    refused = rita.call("PATCH", path, {"owner": "sam", "state": "done"})
    assert (refused.status_code, refused.json_body["field"]) == (422, "evidence")
    step.refresh_from_db()
    assert step.owner is None
    assigned = rita.call("PATCH", path, {"owner": "sam"})
    assert assigned.status_code == 200, assigned.json_body
    step.refresh_from_db()
    assert step.owner == sam
    alone = rita.call("PATCH", path, {"evidence": "seen"})
    assert (alone.status_code, alone.json_body["field"]) == (422, "state")


def test_a_step_of_another_disaster_is_a_404(rita, disaster, declare, search, sam, responder):
    other = services.disaster_declare(
        actor=responder, source=WEB, incident=declare(title="Search down"), systems=[search]
    )
    step = RunbookStep.objects.filter(affected__disaster=other).first()
    response = rita.call("PATCH", f"/disasters/{disaster.pk}/steps/{step.pk}", {"state": "running"})
    assert (response.status_code, response.json_body["field"]) == (404, "step")


def test_a_verification_step_cannot_be_skipped(rita, disaster):
    step = _billing(disaster).steps.get(kind=StepKind.VERIFICATION)
    path = f"/disasters/{disaster.pk}/steps/{step.pk}"
    response = rita.call("PATCH", path, {"state": "skipped", "evidence": "no time"})
    assert (response.status_code, response.json_body["field"]) == (422, "state")


def test_running_a_step_starts_its_webhook_and_a_manual_one_is_refused(rita, disaster):
    first, second = _billing(disaster).steps.order_by("position")[:2]
    manual = rita.call("POST", f"/disasters/{disaster.pk}/steps/{first.pk}/run")
    assert (manual.status_code, manual.json_body["field"]) == (409, "step")
    RunbookStep.objects.filter(pk=second.pk).update(webhook_url="https://hooks.example.com/r")
    path = f"/disasters/{disaster.pk}/steps/{second.pk}/run"
    started = rita.call("POST", path)
    assert started.status_code == 200, started.json_body
    [shown] = [s for s in started.json_body["systems"][0]["steps"] if s["id"] == second.pk]
    assert (shown["state"], shown["automated"]) == ("running", True)
    again = rita.call("POST", path)
    assert (again.status_code, again.json_body["field"]) == (409, "step")


def test_the_decision_maker_adds_a_system_to_the_disaster(olga_api, rita, disaster, search):
    path = f"/disasters/{disaster.pk}/systems"
    assert rita.call("POST", path, {"system": "Search"}).status_code == 403
    response = olga_api.call("POST", path, {"system": "Search"})
    assert response.status_code == 201, response.json_body
    assert [a.system.name for a in disaster.systems.order_by("position")] == ["Billing", "Search"]
    assert RunbookStep.objects.filter(affected__system=search).exists()


def test_planned_work_is_recorded_stopped_once(olga_api, disaster):
    path = f"/disasters/{disaster.pk}/planned-work"
    body = {"planned_work": "Sprint 14", "planned_work_url": "https://tracker.example.com/14"}
    response = olga_api.call("POST", path, body)
    assert response.status_code == 200, response.json_body
    disaster.refresh_from_db()
    assert disaster.planned_work == "Sprint 14" and disaster.planned_work_stopped_at
    again = olga_api.call("POST", path, {"planned_work": "Sprint 15"})
    assert (again.status_code, again.json_body["field"]) == (409, "planned_work")


def test_business_as_usual_waits_for_the_published_postmortem(olga_api, rita, disaster):
    path = f"/disasters/{disaster.pk}/resume"
    assert rita.call("POST", path, {}).status_code == 403
    response = olga_api.call("POST", path, {"note": "Back to the sprint"})
    assert (response.status_code, response.json_body["field"]) == (409, "postmortem")
    disaster.refresh_from_db()
    assert disaster.resumed_at is None


def test_an_unknown_disaster_is_a_404(rita):
    for method, path in [
        ("GET", "/disasters/999"),
        ("POST", "/disasters/999/transitions"),
        ("POST", "/disasters/999/resume"),
        ("GET", "/disasters/999/preview?system=Billing&state=offline"),
    ]:
        body = (
            {"system": "Billing", "state": "offline", "reason": "x"}
            if path.endswith("transitions")
            else {}
        )
        response = rita.call(method, path, body if method == "POST" else None)
        assert (response.status_code, response.json_body["field"]) == (404, "disaster"), path


# Runbook templates -------------------------------------------------------------------------


def test_an_admin_creates_a_runbook_with_the_standard_steps_and_changes_it(boss, billing):
    created = boss.call("POST", "/runbooks", {"name": "Billing restore", "system": "Billing"})
    assert created.status_code == 201, created.json_body
    template = RunbookTemplate.objects.get()
    assert template.system == billing
    kinds = list(template.steps.order_by("position").values_list("kind", flat=True))
    assert kinds == ["recovery"] * 4 + ["verification"]
    assert boss.call("GET", f"/runbooks/{template.pk}").json_body == created.json_body
    assert [r["name"] for r in boss.call("GET", "/runbooks").json_body] == ["Billing restore"]

    steps = [
        {"title": "Restore from the replica", "kind": "recovery"},
        {"title": "Invoices add up", "kind": "verification"},
    ]
    changed = boss.call("PATCH", f"/runbooks/{template.pk}", {"steps": steps})
    assert changed.status_code == 200, changed.json_body
    titles = list(template.steps.order_by("position").values_list("title", flat=True))
    assert titles == ["Restore from the replica", "Invoices add up"]

    assert boss.call("DELETE", f"/runbooks/{template.pk}").status_code == 204
    assert not RunbookTemplate.objects.exists()
    assert boss.call("GET", f"/runbooks/{template.pk}").status_code == 404


def test_a_runbook_without_a_verification_step_is_refused(boss, rita):
    steps = [{"title": "Restore", "kind": "recovery"}]
    response = boss.call("POST", "/runbooks", {"name": "Quick", "steps": steps})
    assert (response.status_code, response.json_body["field"]) == (422, "steps")
    assert rita.call("POST", "/runbooks", {"name": "Quick"}).status_code == 403
    assert not RunbookTemplate.objects.exists()


def test_a_runbook_step_with_no_title_is_refused_naming_its_place(boss):
    steps = [{"title": "Restore", "kind": "recovery"}, {"title": "", "kind": "verification"}]
    response = boss.call("POST", "/runbooks", {"name": "Quick", "steps": steps})
    assert (response.status_code, response.json_body["field"]) == (422, "steps[1].title")

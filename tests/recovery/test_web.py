"""The disaster recovery web pages through Django's test client: escalating from the incident
page, the control room (moves by the decision-maker with the public preview, proposals by
others, runbook steps, the verification gate, planned work, business as usual) and the systems
and runbook admin pages. Every refusal is shown on the form, next to the field it names."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.recovery.models import (
    Disaster,
    Proposal,
    ProposalStatus,
    RunbookStep,
    RunbookTemplate,
    StepKind,
    StepState,
    System,
)
from incidentdesk.recovery.runbooks import runbook_template_create
from incidentdesk.recovery.services import proposal_create, state_move
from incidentdesk.statuspage.models import PublicIncident

WEB = ActionSource.WEB
LOCAL = "%Y-%m-%dT%H:%M"  # what a datetime-local field sends
pytestmark = pytest.mark.django_db


@pytest.fixture
def as_user(client):
    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in


def room(incident) -> str:
    return f"/incidents/{incident.reference}/disaster"


def move_url(incident, affected, state) -> str:
    return f"{room(incident)}/systems/{affected.pk}/move/{state}"


def moved(affected, state, actor, **words):
    words.setdefault("reason", f"to {state}")
    return state_move(actor=actor, source=WEB, affected=affected, state=state, **words)


# Escalating from the incident page ----------------------------------------------------------


def test_the_incident_page_escalates_the_incident_to_a_disaster(
    as_user, responder, incident, billing
):
    client = as_user(responder)
    page = client.get(f"/incidents/{incident.reference}")
    assert f'href="{room(incident)}/escalate"' in page.content.decode()
    assert 'name="systems"' in client.get(f"{room(incident)}/escalate").content.decode()
    answer = client.post(
        f"{room(incident)}/escalate",
        {"systems": ["Billing"], "planned_work": "Sprint 42"},
    )
    assert answer.status_code == 302 and answer["Location"] == room(incident)
    disaster = Disaster.objects.get(incident=incident)
    assert disaster.planned_work == "Sprint 42" and not disaster.drill
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert "Open the control room" in page and "Escalate to a disaster" not in page


def test_escalating_without_a_system_is_refused_next_to_the_systems_field(
    as_user, responder, incident, billing
):
    answer = as_user(responder).post(f"{room(incident)}/escalate", {"drill": "on"})
    assert answer.status_code == 422
    assert 'id="id_systems_error"' in answer.content.decode()
    assert not Disaster.objects.exists()


def test_a_viewer_is_not_offered_escalation_and_is_refused_when_posting(
    as_user, viewer, incident, billing
):
    client = as_user(viewer)
    assert (
        "Escalate to a disaster"
        not in client.get(f"/incidents/{incident.reference}").content.decode()
    )
    answer = client.post(f"{room(incident)}/escalate", {"systems": ["Billing"]})
    assert answer.status_code == 403
    assert not Disaster.objects.exists()


def test_an_incident_that_is_no_disaster_has_no_control_room(as_user, responder, incident):
    assert as_user(responder).get(room(incident)).status_code == 404


# The control room -------------------------------------------------------------------------


def test_the_decision_maker_sees_the_allowed_moves_and_the_gate_not_met(
    as_user, olga, disaster, affected
):
    page = as_user(olga).get(room(disaster.incident)).content.decode()
    assert "Move to Read-only" in page and "Move to Restoring" not in page
    assert "Not met." in page and "step 5: Run the tests" in page
    assert "RTO of 1 hour" in page


def test_someone_else_sees_propose_and_their_move_waits_as_a_proposal(
    as_user, responder, olga, disaster, affected
):
    client = as_user(responder)
    page = client.get(room(disaster.incident)).content.decode()
    assert "Propose Read-only" in page and "Move to Read-only" not in page
    form = client.get(move_url(disaster.incident, affected, "read_only")).content.decode()
    assert "The public side" not in form and "Propose Read-only" in form
    answer = client.post(
        move_url(disaster.incident, affected, "read_only"),
        {"reason": "Writes corrupt invoices", "consulted": "Ada, Bob", "propose": "1"},
    )
    assert answer.status_code == 302
    proposal = Proposal.objects.get()
    assert (proposal.to_state, proposal.consulted) == ("read_only", ["Ada", "Bob"])
    affected.refresh_from_db()
    assert affected.state == "operational"
    page = as_user(olga).get(room(disaster.incident)).content.decode()
    assert "proposes Operational → <strong>Read-only</strong>" in page and "Accept…" in page


def test_a_move_posted_by_someone_else_without_propose_is_refused(
    as_user, responder, disaster, affected
):
    answer = as_user(responder).post(
        move_url(disaster.incident, affected, "read_only"), {"reason": "now"}
    )
    assert answer.status_code == 403
    assert "only the decision-maker" in answer.content.decode()
    affected.refresh_from_db()
    assert affected.state == "operational" and not Proposal.objects.exists()


def test_the_move_form_previews_the_public_change(as_user, olga, disaster, affected):
    page = as_user(olga).get(move_url(disaster.incident, affected, "read_only")).content.decode()
    invoices = Component.objects.get(name="Invoices")
    assert "The public side" in page
    assert f'name="public-component_{invoices.pk}"' in page
    assert '<option value="degraded_performance" selected>' in page
    assert 'name="public-banner_message"' in page and "read-only" in page.lower()
    assert "override_reason" not in page


def test_a_move_without_a_reason_is_refused_next_to_the_reason(as_user, olga, disaster, affected):
    answer = as_user(olga).post(move_url(disaster.incident, affected, "read_only"), {})
    assert answer.status_code == 422
    assert 'id="id_reason_error"' in answer.content.decode()
    affected.refresh_from_db()
    assert affected.state == "operational"


def test_a_move_not_allowed_from_here_lists_the_allowed_ones(as_user, olga, disaster, affected):
    answer = as_user(olga).post(
        move_url(disaster.incident, affected, "restored"), {"reason": "all good"}
    )
    assert answer.status_code == 422
    assert "from operational: maintenance, read_only, offline" in answer.content.decode()


def test_the_decision_makers_move_applies_the_reviewed_public_change(
    as_user, olga, disaster, affected
):
    invoices = Component.objects.get(name="Invoices")
    payments = Component.objects.get(name="Payments API")
    answer = as_user(olga).post(
        move_url(disaster.incident, affected, "read_only"),
        {
            "reason": "Writes corrupt invoices",
            "consulted": "Ada",
            "evidence": "https://grafana.example/d/1",
            "public-publish": "on",
            f"public-component_{invoices.pk}": "major_outage",
            f"public-component_{payments.pk}": "",
            "public-message": "Invoices are read-only while we restore them.",
        },
    )
    assert answer.status_code == 302
    affected.refresh_from_db()
    assert affected.state == "read_only"
    invoices.refresh_from_db()
    payments.refresh_from_db()
    assert (invoices.status, payments.status) == ("major_outage", "operational")


def test_a_move_to_maintenance_offers_a_maintenance_window_and_opens_it_until_the_end_given(
    as_user, olga, disaster, affected
):
    client = as_user(olga)
    url = move_url(disaster.incident, affected, "maintenance")
    assert 'name="public-maintenance_until"' in client.get(url).content.decode()
    read_only = client.get(move_url(disaster.incident, affected, "read_only")).content.decode()
    assert "maintenance_until" not in read_only and "Maintenance window" not in read_only

    form = {
        "reason": "Stop writes while we copy the data",
        "public-publish": "on",
        "public-message": "Invoices are under maintenance.",
    }
    past = timezone.localtime() - timedelta(hours=1)
    answer = client.post(url, {**form, "public-maintenance_until": past.strftime(LOCAL)})
    assert answer.status_code == 422 and "must be in the future" in answer.content.decode()
    affected.refresh_from_db()
    assert affected.state == "operational" and not PublicIncident.objects.exists()

    until = (timezone.localtime() + timedelta(hours=3)).replace(second=0, microsecond=0)
    answer = client.post(url, {**form, "public-maintenance_until": until.strftime(LOCAL)})
    assert answer.status_code == 302
    window = PublicIncident.objects.get(is_maintenance=True)
    assert window.scheduled_until == until and window.created_by == olga

    # The next move out of maintenance offers to complete it, ticked, and does.
    onward = move_url(disaster.incident, affected, "offline")
    page = client.get(onward).content.decode()
    assert 'name="public-complete_maintenance"' in page
    assert re.search(r'name="public-complete_maintenance"[^>]*checked', page)
    answer = client.post(
        onward,
        {
            "reason": "The copy failed",
            "public-publish": "on",
            "public-message": "Invoices are offline.",
            "public-complete_maintenance": "on",
        },
    )
    assert answer.status_code == 302
    window.refresh_from_db()
    assert window.status == "completed"


def test_an_emptied_maintenance_window_opens_none(as_user, olga, disaster, affected):
    answer = as_user(olga).post(
        move_url(disaster.incident, affected, "maintenance"),
        {
            "reason": "Stop writes",
            "public-publish": "on",
            "public-message": "Invoices are under maintenance.",
            "public-maintenance_until": "",
        },
    )
    assert answer.status_code == 302
    assert list(PublicIncident.objects.values_list("is_maintenance", flat=True)) == [False]


def test_restored_before_the_gate_names_the_missing_steps_and_offers_the_override(
    as_user, olga, disaster, affected
):
    for state in ("offline", "restoring", "verifying"):
        moved(affected, state, olga)
    client = as_user(olga)
    url = move_url(disaster.incident, affected, "restored")
    page = client.get(url).content.decode()
    assert "The verification gate is not met" in page and 'name="override_reason"' in page
    refused = client.post(url, {"reason": "Looks fine"})
    assert refused.status_code == 422 and "5" in refused.content.decode()
    affected.refresh_from_db()
    assert affected.state == "verifying"
    done = client.post(url, {"reason": "Looks fine", "override_reason": "Customers wait"})
    assert done.status_code == 302
    affected.refresh_from_db()
    assert (affected.state, affected.gate_override_reason) == ("restored", "Customers wait")


def test_accepting_a_proposal_makes_its_move_and_declining_needs_a_note(
    as_user, responder, olga, disaster, affected
):
    first = proposal_create(
        actor=responder, source=WEB, affected=affected, state="offline", reason="Breach"
    )
    client = as_user(olga)
    declined = client.post(f"{room(disaster.incident)}/proposals/{first.pk}/decline", {})
    assert declined.status_code == 422
    assert f'id="id_p{first.pk}-note_error"' in declined.content.decode()
    page = client.get(f"{room(disaster.incident)}/proposals/{first.pk}/accept").content.decode()
    assert "Accept and move to Offline" in page
    accepted = client.post(
        f"{room(disaster.incident)}/proposals/{first.pk}/accept", {"reason": "Breach"}
    )
    assert accepted.status_code == 302
    first.refresh_from_db()
    affected.refresh_from_db()
    assert (first.status, affected.state) == (ProposalStatus.ACCEPTED, "offline")


def test_a_responder_declining_a_proposal_is_refused(as_user, responder, disaster, affected):
    proposal = proposal_create(
        actor=responder, source=WEB, affected=affected, state="offline", reason="Breach"
    )
    answer = as_user(responder).post(
        f"{room(disaster.incident)}/proposals/{proposal.pk}/decline", {f"p{proposal.pk}-note": "no"}
    )
    assert answer.status_code == 403
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.OPEN


def test_a_step_done_without_evidence_is_refused_next_to_the_evidence(
    as_user, responder, disaster, affected
):
    step = affected.steps.get(position=2)
    client = as_user(responder)
    url = f"{room(disaster.incident)}/steps/{step.pk}"
    refused = client.post(url, {f"s{step.pk}-state": "done"})
    assert refused.status_code == 422
    assert f'id="id_s{step.pk}-evidence_error"' in refused.content.decode()
    done = client.post(url, {f"s{step.pk}-state": "done", f"s{step.pk}-evidence": "Restored"})
    assert done.status_code == 302
    step.refresh_from_db()
    assert (step.state, step.evidence) == (StepState.DONE, "Restored")


def test_a_step_is_given_an_owner(as_user, responder, sam, disaster, affected):
    step = affected.steps.get(position=1)
    answer = as_user(responder).post(
        f"{room(disaster.incident)}/steps/{step.pk}/owner", {f"o{step.pk}-owner": "sam"}
    )
    assert answer.status_code == 302
    step.refresh_from_db()
    assert step.owner == sam


def test_an_automated_step_offers_run_and_running_it_marks_it_under_way(
    as_user, admin, responder, olga, incident, billing
):
    from incidentdesk.recovery.services import disaster_declare

    runbook_template_create(
        actor=admin,
        source=WEB,
        name="Billing recovery",
        system=billing,
        steps=[
            {"title": "Fail over", "kind": "recovery", "webhook_url": "https://ops.example/fo"},
            {"title": "Smoke tests", "kind": "verification"},
        ],
    )
    disaster = disaster_declare(actor=responder, source=WEB, incident=incident, systems=["Billing"])
    step = RunbookStep.objects.get(affected__disaster=disaster, position=1)
    client = as_user(responder)
    assert "Run<span" in client.get(room(incident)).content.decode()
    answer = client.post(f"{room(incident)}/steps/{step.pk}/run")
    assert answer.status_code == 302
    step.refresh_from_db()
    assert step.state == StepState.RUNNING


def test_business_as_usual_before_the_postmortem_is_refused_in_words(
    as_user, olga, disaster, affected
):
    answer = as_user(olga).post(f"{room(disaster.incident)}/resume", {"resume-note": "ok"})
    assert answer.status_code == 422
    assert "publish the postmortem" in answer.content.decode()
    disaster.refresh_from_db()
    assert disaster.resumed_at is None


def test_the_decision_maker_records_the_planned_work_once(as_user, olga, disaster):
    client = as_user(olga)
    answer = client.post(
        f"{room(disaster.incident)}/planned-work",
        {"planned-planned_work": "Sprint 7", "planned-planned_work_url": "https://t.example/7"},
    )
    assert answer.status_code == 302
    page = client.get(room(disaster.incident)).content.decode()
    assert "Sprint 7</a>" in page and "Stop the planned work" not in page


def test_a_drills_move_form_has_no_public_side(as_user, responder, olga, incident, billing):
    from incidentdesk.recovery.services import disaster_declare

    drill = disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=["Billing"], drill=True
    )
    affected = drill.systems.get()
    client = as_user(olga)
    assert ">Drill</span>" in client.get(room(incident)).content.decode()
    page = client.get(move_url(incident, affected, "offline")).content.decode()
    assert "The public side" not in page and "nothing public changes" in page


def test_the_control_room_of_a_restricted_incident_is_hidden_from_outsiders(
    as_user, make_user, responder, declare, billing
):
    from incidentdesk.recovery.services import disaster_declare

    secret = declare(title="Breach", severity="major", security=True)
    disaster_declare(actor=responder, source=WEB, incident=secret, systems=["Billing"])
    outsider = make_user(username="otto")
    assert as_user(outsider).get(room(secret)).status_code == 404


# The systems and runbooks admin pages ----------------------------------------------------------


def test_an_admin_adds_a_system_and_a_bad_objective_is_shown_next_to_it(as_user, admin, olga):
    client = as_user(admin)
    assert "Add a system" in client.get("/recovery/systems").content.decode()
    refused = client.post(
        "/recovery/systems",
        {"name": "Billing", "owner": "olga", "rto_minutes": "0", "rpo_minutes": "15"},
    )
    assert refused.status_code == 422
    assert 'id="id_rto_minutes_error"' in refused.content.decode()
    assert not System.objects.exists()
    added = client.post(
        "/recovery/systems",
        {"name": "Billing", "owner": "olga", "rto_minutes": "60", "rpo_minutes": "15"},
    )
    assert added.status_code == 302
    assert System.objects.get().owner == olga


def test_a_responder_reads_the_systems_but_cannot_add_one(as_user, responder, billing):
    client = as_user(responder)
    page = client.get("/recovery/systems").content.decode()
    assert "Billing" in page and "Add a system" not in page
    answer = client.post(
        "/recovery/systems",
        {"name": "Search", "owner": "rita", "rto_minutes": "60", "rpo_minutes": "15"},
    )
    assert answer.status_code == 403
    assert System.objects.count() == 1


def test_an_admin_edits_and_deletes_a_system(as_user, admin, sam, billing):
    client = as_user(admin)
    assert 'value="Billing"' in client.get(f"/recovery/systems/{billing.pk}").content.decode()
    saved = client.post(
        f"/recovery/systems/{billing.pk}",
        {"name": "Billing", "owner": "sam", "rto_minutes": "30", "rpo_minutes": "5"},
    )
    assert saved.status_code == 302
    billing.refresh_from_db()
    assert (billing.owner, billing.rto_minutes, billing.components.count()) == (sam, 30, 0)
    assert client.post(f"/recovery/systems/{billing.pk}/delete").status_code == 302
    assert not System.objects.exists()


def test_the_system_page_gives_admins_the_key_its_automated_steps_are_signed_with(
    as_user, admin, responder, billing
):
    from incidentdesk.recovery.tasks import webhook_secret

    page = as_user(admin).get(f"/recovery/systems/{billing.pk}").content.decode()
    assert webhook_secret(billing.pk) in page
    assert as_user(responder).get(f"/recovery/systems/{billing.pk}").status_code == 403


def test_a_system_a_disaster_has_is_not_deleted_and_says_why(as_user, admin, disaster, billing):
    answer = as_user(admin).post(f"/recovery/systems/{billing.pk}/delete", follow=True)
    assert System.objects.filter(pk=billing.pk).exists()
    assert "a system a disaster has cannot be deleted." in answer.content.decode()


def test_a_runbook_without_a_verification_step_is_refused_naming_the_steps(as_user, admin):
    client = as_user(admin)
    form = client.get("/recovery/runbooks/new").content.decode()
    assert "Restore the data into another environment" in form
    refused = client.post(
        "/recovery/runbooks/new",
        {
            "name": "Short",
            "step_title": ["Fail over"],
            "step_kind": ["recovery"],
            "step_owner": [""],
            "step_webhook": [""],
            "step_standard": [""],
        },
    )
    assert refused.status_code == 422
    assert "verification" in refused.content.decode()
    assert not RunbookTemplate.objects.exists()


def test_an_admin_writes_a_runbook_for_a_system(as_user, admin, billing):
    client = as_user(admin)
    answer = client.post(
        "/recovery/runbooks/new",
        {
            "name": "Billing recovery",
            "system": "Billing",
            "step_title": ["Fail over", "Smoke tests", ""],
            "step_kind": ["recovery", "verification", "recovery"],
            "step_owner": ["", "olga", ""],
            "step_webhook": ["https://ops.example/fo", "", ""],
            "step_standard": ["", "", ""],
        },
    )
    assert answer.status_code == 302
    runbook = RunbookTemplate.objects.get()
    steps = list(runbook.steps.values_list("title", "kind", "webhook_url"))
    assert runbook.system == billing
    assert steps == [
        ("Fail over", StepKind.RECOVERY, "https://ops.example/fo"),
        ("Smoke tests", StepKind.VERIFICATION, ""),
    ]
    page = client.get("/recovery/runbooks").content.decode()
    assert "for Billing" in page and "Automated" in page
    assert client.post(f"/recovery/runbooks/{runbook.pk}/delete").status_code == 302
    assert not RunbookTemplate.objects.exists()


def test_a_responder_cannot_write_runbooks(as_user, responder):
    assert as_user(responder).get("/recovery/runbooks/new").status_code == 403


def test_the_catalog_links_the_recovery_admin_pages(as_user, admin):
    page = as_user(admin).get("/settings/catalog").content.decode()
    assert 'href="/recovery/systems"' in page and 'href="/recovery/runbooks"' in page

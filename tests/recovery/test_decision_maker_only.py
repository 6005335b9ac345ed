"""The writes only the disaster's decision-maker makes: moving a state, deciding a proposal,
adding a system, recording the planned work stopped, resuming business as usual. The
permission matrix (tests/test_permissions.py) shows every kind of actor refused, none of them
being the decision-maker; here the decision-maker does each, whatever their role (a viewer
here), and an admin who is not the decision-maker is refused, naming `decision_maker`, with
nothing written."""

import re
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import AnonymousUser

from incidentdesk.core.errors import NotAuthenticated, PermissionDenied
from incidentdesk.recovery import services as recovery
from incidentdesk.recovery.models import ProposalStatus, SystemState
from tests.recovery.conftest import WEB
from tests.recovery.test_business_as_usual import back, publish_postmortem

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(responder, viewer, incident, billing, search):
    """The incident a disaster of Billing decided by vic, a viewer, with rita's proposal to
    take Billing offline open; Search is not affected."""
    disaster = recovery.disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=["Billing"], decision_maker=viewer
    )
    affected = disaster.systems.get()
    proposal = recovery.proposal_create(
        actor=responder, source=WEB, affected=affected, state="offline", reason="Data leaks"
    )
    return SimpleNamespace(
        disaster=disaster, affected=affected, proposal=proposal, search=search, incident=incident
    )


@pytest.fixture
def ready_to_resume(world, viewer, responder, manager):
    """Billing back (restored with its verification done) and the postmortem published: all
    business_resume waits for."""

    def ready():
        back(world.affected, viewer)
        publish_postmortem(world.incident, responder, manager)

    return ready


def _moved(w, actor):
    return w.affected.changes.filter(decided_by=actor, to_state=SystemState.READ_ONLY).exists()


def _accepted(w, actor):
    w.proposal.refresh_from_db()
    return w.proposal.status == ProposalStatus.ACCEPTED and w.proposal.decided_by == actor


def _declined(w, actor):
    w.proposal.refresh_from_db()
    return w.proposal.status == ProposalStatus.DECLINED and w.proposal.decision_note == "Not yet"


def _added(w, actor):
    return w.disaster.systems.filter(system=w.search, position=2).exists()


def _stopped(w, actor):
    w.disaster.refresh_from_db()
    return w.disaster.planned_work == "Sprint 12" and w.disaster.planned_work_stopped_by == actor


def _resumed(w, actor):
    w.disaster.refresh_from_db()
    return w.disaster.resumed_at is not None and w.disaster.resumed_by == actor


# service → (the call, what it wrote, whether business_resume's preconditions are needed)
DECISIONS = {
    "state_move": (
        lambda a, w: recovery.state_move(
            actor=a, source=WEB, affected=w.affected, state="read_only", reason="Writes fail"
        ),
        _moved,
        False,
    ),
    "proposal_accept": (
        lambda a, w: recovery.proposal_accept(actor=a, source=WEB, proposal=w.proposal),
        _accepted,
        False,
    ),
    "proposal_decline": (
        lambda a, w: recovery.proposal_decline(
            actor=a, source=WEB, proposal=w.proposal, note="Not yet"
        ),
        _declined,
        False,
    ),
    "disaster_add_system": (
        lambda a, w: recovery.disaster_add_system(
            actor=a, source=WEB, disaster=w.disaster, system=w.search
        ),
        _added,
        False,
    ),
    "planned_work_stop": (
        lambda a, w: recovery.planned_work_stop(
            actor=a, source=WEB, disaster=w.disaster, planned_work="Sprint 12"
        ),
        _stopped,
        False,
    ),
    "business_resume": (
        lambda a, w: recovery.business_resume(actor=a, source=WEB, disaster=w.disaster),
        _resumed,
        True,
    ),
}


@pytest.mark.parametrize("service", DECISIONS)
def test_the_decision_maker_does_it_even_with_the_viewer_role(
    service, world, viewer, ready_to_resume
):
    call, wrote, needs_ready = DECISIONS[service]
    if needs_ready:
        ready_to_resume()
    assert not wrote(world, viewer)
    call(viewer, world)
    assert wrote(world, viewer)


@pytest.mark.parametrize("service", DECISIONS)
def test_an_admin_who_is_not_the_decision_maker_is_refused_and_nothing_is_written(
    service, world, admin, viewer, ready_to_resume, recovery_state
):
    call, wrote, needs_ready = DECISIONS[service]
    if needs_ready:
        ready_to_resume()
    before = recovery_state()
    with pytest.raises(PermissionDenied, match=re.escape(viewer.display_name)) as refused:
        call(admin, world)
    assert refused.value.field == "decision_maker"
    assert recovery_state() == before
    assert not wrote(world, admin)


@pytest.mark.parametrize("how", ["deactivated", "read-only token", "signed out"])
@pytest.mark.parametrize("service", DECISIONS)
def test_holding_the_role_is_not_enough_to_write_deactivated_read_only_or_signed_out(
    service, how, world, viewer, ready_to_resume, recovery_state
):
    call, _, needs_ready = DECISIONS[service]
    if needs_ready:
        ready_to_resume()
    before = recovery_state()
    if how == "deactivated":
        viewer.is_active = False
        actor, refusal = viewer, PermissionDenied
    elif how == "read-only token":
        viewer.token_scope = "read"
        actor, refusal = viewer, PermissionDenied
    else:
        actor, refusal = AnonymousUser(), NotAuthenticated
    with pytest.raises(refusal):
        call(actor, world)
    assert recovery_state() == before

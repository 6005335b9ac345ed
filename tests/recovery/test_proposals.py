"""Proposals: anyone taking part proposes a move; the decision-maker accepts (making the move
with its words) or declines it with a note."""

import pytest

from incidentdesk.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from incidentdesk.recovery.models import ProposalStatus, StateChange, SystemState
from incidentdesk.recovery.services import (
    disaster_declare,
    proposal_accept,
    proposal_create,
    proposal_decline,
    state_move,
)
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db


def propose(affected, actor, state="offline", **words):
    words.setdefault("reason", "Customer data is leaking")
    return proposal_create(actor=actor, source=WEB, affected=affected, state=state, **words)


def test_a_responder_proposes_a_move_and_the_timeline_says_who_proposes_what(
    affected, responder, incident
):
    proposal = propose(affected, responder, consulted=["Ada"], evidence="ticket 7")
    assert (proposal.from_state, proposal.to_state, proposal.status) == (
        "operational",
        "offline",
        ProposalStatus.OPEN,
    )
    assert (proposal.reason, proposal.consulted, proposal.evidence) == (
        "Customer data is leaking",
        ["Ada"],
        "ticket 7",
    )
    entry = TimelineEntry.objects.get(incident=incident, kind=EntryKind.DISCUSSION)
    assert entry.body == (
        "rita proposes Billing: Operational → Offline. Customer data is leaking "
        "Consulted: Ada. Evidence: ticket 7"
    )
    assert entry.data["proposal"] == proposal.pk


def test_a_proposal_must_be_a_move_allowed_now(affected, responder, recovery_state):
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        propose(affected, responder, state="verifying")
    assert refused.value.field == "state"
    assert recovery_state() == before


@pytest.mark.parametrize(
    "words, field",
    [({"state": "nope"}, "state"), ({"reason": ""}, "reason"), ({"consulted": "x"}, "consulted")],
)
def test_a_proposal_with_bad_words_is_refused_naming_the_field(
    affected, responder, recovery_state, words, field
):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        propose(affected, responder, **words)
    assert refused.value.field == field
    assert recovery_state() == before


def test_a_viewer_cannot_propose(affected, viewer, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        propose(affected, viewer)
    assert recovery_state() == before


def test_someone_who_cannot_see_the_incident_cannot_propose(
    declare, responder, make_user, billing, recovery_state
):
    secret = declare(security=True)
    disaster = disaster_declare(actor=responder, source=WEB, incident=secret, systems=["Billing"])
    outsider = make_user(username="outsider")
    before = recovery_state()
    with pytest.raises(NotFound):
        propose(disaster.systems.get(), outsider)
    assert recovery_state() == before


def test_accepting_makes_the_move_with_the_proposals_words(affected, responder, olga, incident):
    proposal = propose(affected, responder, consulted=["Ada"])
    change = proposal_accept(actor=olga, source=WEB, proposal=proposal, note="Agreed")
    affected.refresh_from_db()
    proposal.refresh_from_db()
    assert affected.state == SystemState.OFFLINE
    assert change.proposal == proposal
    assert (change.reason, change.consulted, change.decided_by) == (
        "Customer data is leaking",
        ["Ada"],
        olga,
    )
    assert (proposal.status, proposal.decided_by, proposal.decision_note) == (
        ProposalStatus.ACCEPTED,
        olga,
        "Agreed",
    )
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.data["proposal"] == proposal.pk
    assert entry.author == olga


def test_accepting_one_proposal_overtakes_the_others_of_that_system(affected, responder, olga):
    chosen = propose(affected, responder, state="offline")
    other = propose(affected, responder, state="read_only")
    proposal_accept(actor=olga, source=WEB, proposal=chosen)
    other.refresh_from_db()
    assert other.status == ProposalStatus.SUPERSEDED


def test_only_the_decision_maker_accepts_or_declines(affected, responder, recovery_state):
    proposal = propose(affected, responder)
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        proposal_accept(actor=responder, source=WEB, proposal=proposal)
    with pytest.raises(PermissionDenied):
        proposal_decline(actor=responder, source=WEB, proposal=proposal, note="no")
    assert recovery_state() == before


def test_a_proposal_overtaken_by_a_move_is_marked_superseded_and_refused(affected, responder, olga):
    proposal = propose(affected, responder, state="offline")
    # Moved another way after the proposal: it cannot be made from where it was proposed.
    state_move(actor=olga, source=WEB, affected=affected, state="read_only", reason="Safer")
    with pytest.raises(InvalidTransition) as refused:
        proposal_accept(actor=olga, source=WEB, proposal=proposal)
    assert refused.value.field == "proposal"
    assert StateChange.objects.count() == 1


def test_accepting_a_proposal_whose_system_moved_marks_it_superseded(affected, responder, olga):
    proposal = propose(affected, responder, state="offline")
    # The system moved without the proposal being overtaken (e.g. written before this rule).
    affected.state = SystemState.READ_ONLY
    affected.save()
    with pytest.raises(InvalidTransition) as refused:
        proposal_accept(actor=olga, source=WEB, proposal=proposal)
    assert refused.value.field == "proposal"
    assert "superseded" in refused.value.message
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.SUPERSEDED
    assert not StateChange.objects.exists()


def test_declining_needs_a_note_and_says_it(affected, responder, olga, incident):
    proposal = propose(affected, responder)
    declined = proposal_decline(
        actor=olga, source=WEB, proposal=proposal, note="Read-only is enough"
    )
    assert (declined.status, declined.decision_note, declined.decided_by) == (
        ProposalStatus.DECLINED,
        "Read-only is enough",
        olga,
    )
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.DECISION).last()
    assert entry.body == (
        "Declined rita's proposal Billing: Operational → Offline. Read-only is enough"
    )
    affected.refresh_from_db()
    assert affected.state == SystemState.OPERATIONAL


def test_declining_without_a_note_is_refused_naming_note(affected, responder, olga, recovery_state):
    proposal = propose(affected, responder)
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        proposal_decline(actor=olga, source=WEB, proposal=proposal, note="  ")
    assert refused.value.field == "note"
    assert recovery_state() == before


@pytest.mark.parametrize("decide", ["accept", "decline"])
def test_a_proposal_is_decided_once(affected, responder, olga, recovery_state, decide):
    proposal = propose(affected, responder)
    proposal_decline(actor=olga, source=WEB, proposal=proposal, note="No")
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        if decide == "accept":
            proposal_accept(actor=olga, source=WEB, proposal=proposal)
        else:
            proposal_decline(actor=olga, source=WEB, proposal=proposal, note="Still no")
    assert refused.value.field == "proposal"
    assert recovery_state() == before

"""Incident roles: assignment, hand-over, release and the desk."""

import pytest

from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import DeskSeat, RoleAssignment, TimelineEntry
from incidentdesk.incidents.services import (
    current_holders,
    incident_close,
    incident_resolve,
    role_assign,
    role_release,
    role_warnings,
)

WEB = ActionSource.WEB


@pytest.fixture
def incident(declare):
    return declare()


def assign(incident, role, user, actor):
    return role_assign(actor=actor, source=WEB, incident=incident, role=role, user=user)


def role_entries(incident):
    return list(TimelineEntry.objects.filter(incident=incident, kind="role_change"))


def test_the_first_lead_acknowledges_the_incident(incident, responder, make_user):
    assert incident.acknowledged_at is None
    lead = assign(incident, "lead", make_user(username="lena"), responder)
    incident.refresh_from_db()
    assert incident.acknowledged_at == lead.started_at


def test_a_later_lead_does_not_move_the_acknowledgement(incident, responder, make_user):
    assign(incident, "lead", make_user(username="lena"), responder)
    incident.refresh_from_db()
    first_ack = incident.acknowledged_at
    assign(incident, "lead", make_user(username="otto"), responder)
    incident.refresh_from_db()
    assert incident.acknowledged_at == first_ack


def test_handing_over_ends_the_previous_span_and_announces_it(incident, manager, make_user):
    lena = make_user(username="lena", first_name="Lena")
    otto = make_user(username="otto", first_name="Otto")
    first = assign(incident, "lead", lena, manager)
    second = assign(incident, "lead", otto, manager)
    first.refresh_from_db()
    assert first.ended_at == second.started_at
    assert first.ended_by == manager
    assert second.assigned_by == manager
    assert current_holders(incident)["lead"] == [otto]
    last = role_entries(incident)[-1]
    assert last.body.startswith("Lena handed lead to Otto")
    assert last.data == {"role": "lead", "to": "otto", "from": "lena"}
    assert last.author == manager


def test_taking_a_role_yourself_does_not_say_who_set_it(incident, responder):
    assign(incident, "scribe", responder, responder)
    assert role_entries(incident)[-1].body == f"{responder.display_name} is now scribe"


def test_assigning_the_same_holder_again_is_refused(incident, responder, make_user):
    lena = make_user(username="lena")
    assign(incident, "lead", lena, responder)
    with pytest.raises(InvalidTransition, match="already the lead") as caught:
        assign(incident, "lead", lena, responder)
    assert caught.value.field == "person"
    assert RoleAssignment.objects.filter(incident=incident, role="lead").count() == 1


def test_several_assignees_are_allowed(incident, responder, make_user):
    ann, bob = make_user(username="ann"), make_user(username="bob")
    assign(incident, "assignee", ann, responder)
    assign(incident, "assignee", bob, responder)
    assert set(current_holders(incident)["assignee"]) == {ann, bob}


def test_the_same_assignee_twice_is_refused(incident, responder, make_user):
    ann = make_user(username="ann")
    assign(incident, "assignee", ann, responder)
    with pytest.raises(InvalidTransition):
        assign(incident, "assignee", ann, responder)


def test_an_assignee_sits_on_the_desk_until_the_incident_is_resolved(
    incident, responder, make_user
):
    ann = make_user(username="ann")
    assign(incident, "assignee", ann, responder)
    seat = DeskSeat.objects.get(incident=incident, user=ann)
    assert seat.left_at is None
    incident_resolve(actor=responder, source=WEB, incident=incident)
    seat.refresh_from_db()
    assert seat.left_at is not None


def test_an_unknown_role_is_refused_naming_the_known_ones(incident, responder):
    with pytest.raises(ValidationError) as caught:
        assign(incident, "captain", responder, responder)
    assert caught.value.field == "role"
    assert "lead" in caught.value.message and "decision_maker" in caught.value.message


def test_a_deactivated_person_cannot_take_a_role(incident, responder, make_user):
    gone = make_user(username="gone", is_active=False)
    with pytest.raises(ValidationError) as caught:
        assign(incident, "lead", gone, responder)
    assert caught.value.field == "person"


def test_releasing_ends_the_span_without_a_successor(incident, responder, make_user):
    lena = make_user(username="lena", first_name="Lena")
    assign(incident, "lead", lena, responder)
    released = role_release(actor=responder, source=WEB, incident=incident, role="lead")
    assert released.ended_at is not None and released.ended_by == responder
    assert "lead" not in current_holders(incident)
    assert role_entries(incident)[-1].body.startswith("Lena is no longer lead")


def test_releasing_an_assignee_takes_them_off_the_desk(incident, responder, make_user):
    ann, bob = make_user(username="ann"), make_user(username="bob")
    assign(incident, "assignee", ann, responder)
    assign(incident, "assignee", bob, responder)
    role_release(actor=responder, source=WEB, incident=incident, role="assignee", user=ann)
    assert current_holders(incident)["assignee"] == [bob]
    assert DeskSeat.objects.get(incident=incident, user=ann).left_at is not None
    assert DeskSeat.objects.get(incident=incident, user=bob).left_at is None


def test_releasing_a_role_nobody_holds_is_refused(incident, responder):
    with pytest.raises(InvalidTransition, match="nobody holds scribe"):
        role_release(actor=responder, source=WEB, incident=incident, role="scribe")


def test_lead_and_scribe_being_the_same_person_is_warned_against(incident, responder):
    assign(incident, "lead", responder, responder)
    assert role_warnings(current_holders(incident)) == []
    assign(incident, "scribe", responder, responder)
    (warning,) = role_warnings(current_holders(incident))
    assert "both lead and scribe" in warning


def test_a_closed_incidents_roles_cannot_change(declare, manager):
    incident = incident_resolve(actor=manager, source=WEB, incident=declare(severity="trivial"))
    incident_close(actor=manager, source=WEB, incident=incident)
    incident.refresh_from_db()
    with pytest.raises(InvalidTransition):
        assign(incident, "lead", manager, manager)


def test_releasing_a_role_on_a_closed_incident_is_refused(declare, manager, responder):
    from incidentdesk.core.errors import InvalidTransition
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services import (
        incident_close,
        incident_resolve,
        role_assign,
        role_release,
    )

    incident = declare(actor=manager, severity="trivial")
    role_assign(
        actor=manager, source=ActionSource.WEB, incident=incident, role="lead", user=responder
    )
    incident_resolve(actor=manager, source=ActionSource.WEB, incident=incident)
    incident = incident_close(actor=manager, source=ActionSource.WEB, incident=incident)
    with pytest.raises(InvalidTransition):
        role_release(actor=manager, source=ActionSource.WEB, incident=incident, role="lead")
    assert incident.role_history.get(role="lead").ended_at is None

"""Who sees and who may change an incident: account role × how they take part × whether the
incident is restricted, through the API (a read token to see, a write token to change)."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import services
from incidentdesk.incidents.models import DeskSeat, Incident
from incidentdesk.incidents.permissions import can_see

WEB = ActionSource.WEB
ROLES = (Role.VIEWER, Role.RESPONDER, Role.MANAGER, Role.ADMIN)
# How the person relates to the incident. Taking part: a current role, a seat at its desk, an
# open invitation. A role handed over no longer counts; the security group sees everything.
PART = ("outsider", "role", "desk", "invited", "handed_over", "security_group")
TAKING_PART = ("role", "desk", "invited", "security_group")
KINDS = ("open", "restricted", "security")


def _incident(kind: str, lead) -> Incident:
    incident = services.incident_declare(
        actor=lead,
        source=WEB,
        title="Tokens leaked",
        severity="major",
        criteria=["security"],
        restricted=kind == "restricted",
        security=kind == "security",
    )
    services.role_assign(actor=lead, source=WEB, incident=incident, role="lead", user=lead)
    return incident


def _take_part(part: str, person, incident: Incident, lead, settings) -> None:
    if part == "role":
        services.role_assign(actor=lead, source=WEB, incident=incident, role="scribe", user=person)
    elif part == "desk":
        DeskSeat.objects.create(incident=incident, user=person)
    elif part == "invited":
        services.incident_invite(actor=lead, source=WEB, incident=incident, user=person)
    elif part == "handed_over":
        services.role_assign(
            actor=lead, source=WEB, incident=incident, role="comms_lead", user=person
        )
        services.role_assign(
            actor=lead, source=WEB, incident=incident, role="comms_lead", user=lead
        )
    elif part == "security_group":
        settings.SECURITY_GROUP = "incident-security"
        person.groups.add(Group.objects.create(name="incident-security"))


def expected(role: Role, part: str, kind: str) -> tuple[bool, bool]:
    """(can see, can write)."""
    sees = kind == "open" or role == Role.ADMIN or part in TAKING_PART
    return sees, sees and role != Role.VIEWER


@pytest.mark.django_db
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("part", PART)
@pytest.mark.parametrize("role", ROLES)
def test_who_sees_and_changes_an_incident(role, part, kind, make_user, api_client, settings):
    lead = make_user(Role.RESPONDER, username="lead")
    person = make_user(role, username="person")
    # Invitations are for restricted incidents; on an open one the person is simply there.
    incident = _incident(kind, lead)
    if not (part == "invited" and kind == "open"):
        _take_part(part, person, incident, lead, settings)
    sees, writes = expected(role, part, kind)
    ref = incident.reference

    assert can_see(person, incident) is sees
    reader = api_client(person, scope="read")
    assert reader.call("get", f"/incidents/{ref}").status_code == (200 if sees else 404)
    assert reader.call("get", f"/incidents/{ref}/timeline").status_code == (200 if sees else 404)
    listed = [i["reference"] for i in reader.call("get", "/incidents").json_body["items"]]
    assert (ref in listed) is sees

    # Viewers hold read-only tokens, so writes go through the incident page for every role.
    page = Client()
    page.force_login(person)
    response = page.post(f"/incidents/{ref}/timeline/add", {"kind": "note", "body": "hi"})
    assert response.status_code == (302 if writes else 403 if sees else 404)


@pytest.mark.django_db
def test_nobody_signed_out_sees_a_restricted_incident(make_user):
    from django.contrib.auth.models import AnonymousUser

    lead = make_user(Role.RESPONDER, username="lead")
    incident = _incident("restricted", lead)
    assert not can_see(None, incident) and not can_see(AnonymousUser(), incident)
    assert not Incident.objects.visible_to(AnonymousUser()).exists()


@pytest.mark.django_db
def test_only_someone_who_sees_it_may_invite_to_it(make_user, api_client):
    lead = make_user(Role.RESPONDER, username="lead")
    make_user(Role.VIEWER, username="guest")
    outsider = make_user(Role.MANAGER, username="mia")
    incident = _incident("restricted", lead)
    ref = incident.reference
    refused = api_client(outsider).call(
        "post", f"/incidents/{ref}/invitations", {"person": "guest"}
    )
    assert refused.status_code == 404
    done = api_client(lead).call("post", f"/incidents/{ref}/invitations", {"person": "guest"})
    assert done.status_code == 201
    assert [p["username"] for p in done.json_body["invited"]] == ["guest"]
    again = api_client(lead).call("post", f"/incidents/{ref}/invitations", {"person": "guest"})
    assert again.status_code == 409 and again.json_body["field"] == "person"

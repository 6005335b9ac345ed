"""The same move of a system, and the same proposal, made through the web, the API, the command
line and the command language leave the same timeline entry and the same state change: the
doors only parse, and the recovery services decide. Only the recorded source differs."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.recovery import services
from incidentdesk.recovery.models import Proposal, StateChange

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
REASON = "Writes corrupt invoices"
FULL = {"reason": REASON, "consulted": ["Ada", "Bob"], "evidence": "grafana.example.com/d/1"}
PLAIN = {"reason": REASON, "consulted": [], "evidence": ""}
# Keys whose values are row ids, which differ between the disasters.
ID_KEYS = {"disaster", "proposal", "change"}


def by_web(actor, affected, api_client, words, *, propose):
    client = Client()
    client.force_login(actor)
    ref = affected.disaster.incident.reference
    body = {**words, "consulted": ", ".join(words["consulted"])}
    if propose:
        body["propose"] = "1"
    response = client.post(f"/incidents/{ref}/disaster/systems/{affected.pk}/move/read_only", body)
    assert response.status_code == 302, response.content[:500]


def by_api(actor, affected, api_client, words, *, propose):
    body = {"system": affected.system.name, "state": "read_only", **words, "propose": propose}
    path = f"/disasters/{affected.disaster_id}/transitions"
    response = api_client(actor).call("POST", path, body)
    assert response.status_code == (202 if propose else 201), response.json_body


def by_cli(actor, affected, api_client, words, *, propose):
    consulted = [part for name in words["consulted"] for part in ("--consulted", name)]
    call_command(
        "disaster", "propose" if propose else "state", affected.disaster.incident.reference,
        affected.system.name, "read-only", "--reason", words["reason"], *consulted,
        "--evidence", words["evidence"], "--as", actor.username, stdout=StringIO(),
    )  # fmt: skip


def by_chat(actor, affected, api_client, words, *, propose):
    """The command language, as the chat layer runs it (it has no room for who was consulted
    or the evidence: only the plain move goes this way)."""
    assert not words["consulted"] and not words["evidence"]
    verb = "propose" if propose else "state"
    text = f"disaster {verb} {affected.system.name} read-only {words['reason']}"
    incident = affected.disaster.incident
    command_run(actor=actor, source=ActionSource.CHAT, incident=incident, text=text)


DOORS = {"web": by_web, "api": by_api, "cli": by_cli}
EVERY_DOOR = {**DOORS, "chat": by_chat}


def _shape(entry) -> dict:
    return {
        "kind": entry.kind,
        "body": entry.body,
        "author": entry.author_id,
        "data": {k: ("<id>" if k in ID_KEYS else v) for k, v in entry.data.items()},
        "visibility": entry.visibility,
    }


def _run(door, actor, words, billing, declare, responder, api_client, *, propose):
    incident = declare(title="Invoices are wrong")
    disaster = services.disaster_declare(
        actor=responder, source=WEB, incident=incident, systems=[billing]
    )
    affected = disaster.systems.select_related("system", "disaster__incident").get()
    before = set(incident.timeline.values_list("pk", flat=True))
    door(actor, affected, api_client, words, propose=propose)
    new = list(incident.timeline.exclude(pk__in=before).order_by("pk"))
    assert new, f"{door.__name__} recorded nothing"
    affected.refresh_from_db()
    return new, affected


@pytest.mark.parametrize(("doors", "words"), [(DOORS, FULL), (EVERY_DOOR, PLAIN)])
def test_a_move_leaves_the_same_entry_and_change_through_every_door(
    doors, words, olga, billing, declare, responder, api_client
):
    shapes, moved = {}, {}
    for name, door in doors.items():
        new, affected = _run(
            door, olga, words, billing, declare, responder, api_client, propose=False
        )
        assert {e.source for e in new} == {name}
        shapes[name] = [_shape(e) for e in new]
        change = StateChange.objects.get(affected=affected)
        moved[name] = (affected.state, change.reason, tuple(change.consulted), change.evidence)
    assert all(shape == shapes["api"] for shape in shapes.values()), shapes
    expected = ("read_only", REASON, tuple(words["consulted"]), words["evidence"])
    assert set(moved.values()) == {expected}


@pytest.mark.parametrize(("doors", "words"), [(DOORS, FULL), (EVERY_DOOR, PLAIN)])
def test_a_proposal_leaves_the_same_entry_through_every_door(
    doors, words, billing, olga, declare, responder, api_client
):
    shapes, proposed = {}, {}
    for name, door in doors.items():
        new, affected = _run(
            door, responder, words, billing, declare, responder, api_client, propose=True
        )
        assert {e.source for e in new} == {name}
        shapes[name] = [_shape(e) for e in new]
        proposal = Proposal.objects.get(affected=affected)
        proposed[name] = (affected.state, proposal.to_state, proposal.reason, proposal.status)
    assert all(shape == shapes["api"] for shape in shapes.values()), shapes
    assert set(proposed.values()) == {("operational", "read_only", REASON, "open")}

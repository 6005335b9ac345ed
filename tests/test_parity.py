"""The same command through the web, the API and the CLI leaves the same timeline entry;
only the recorded source differs."""

from io import StringIO

import pytest
from django.core.management import call_command

from incidentdesk.accounts.models import Role
from incidentdesk.incidents.commands import parse, registry
from incidentdesk.incidents.models import TimelineEntry

# Every registered command that gives an example (commands that need a particular setup, such
# as `close` or `invite`, give none), so a new command is compared as soon as it registers.
COMMANDS = [spec.example for spec in registry.specs() if spec.example]
# Keys whose values are row ids or random public ids, which differ between the incidents.
ID_KEYS = {"action_item", "public_incident", "update"}


def _via_web(actor, reference, text, api_client):
    from django.test import Client

    client = Client()
    client.force_login(actor)
    response = client.post(f"/incidents/{reference}/command", {"text": text})
    assert response.status_code in (200, 302), response.content[:300]


def _via_api(actor, reference, text, api_client):
    response = api_client(actor).call("POST", f"/incidents/{reference}/commands", {"text": text})
    assert response.status_code == 200, response.json_body


def _via_cli(actor, reference, text, api_client):
    call_command("say", reference, text, as_user=actor.username, stdout=StringIO())


ADAPTERS = {"web": _via_web, "api": _via_api, "cli": _via_cli}


def _shape(entry: TimelineEntry) -> dict:
    return {
        "kind": entry.kind,
        "body": entry.body,
        "author": entry.author_id,
        # Row ids differ between the three incidents; everything else must match.
        "data": {k: ("<id>" if k in ID_KEYS else v) for k, v in entry.data.items()},
        "pinned": entry.pinned,
        "visibility": entry.visibility,
    }


@pytest.mark.parametrize("text", COMMANDS)
def test_a_command_leaves_the_same_entry_through_web_api_and_cli(
    text, make_user, declare, api_client
):
    actor = make_user(Role.MANAGER, username="alice")
    make_user(Role.RESPONDER, username="bob")
    shapes = {}
    for source, run in ADAPTERS.items():
        incident = declare(actor=actor, title="Writes fail", severity="major")
        before = set(incident.timeline.values_list("pk", flat=True))
        run(actor, incident.reference, text, api_client)
        new = list(incident.timeline.exclude(pk__in=before).order_by("id"))
        assert new, f"{source} recorded nothing for {text!r}"
        assert {e.source for e in new} == {source}
        shapes[source] = [_shape(e) for e in new]
    assert shapes["web"] == shapes["api"] == shapes["cli"]


def test_each_example_runs_the_command_it_is_given_for():
    assert COMMANDS, "no registered command gives an example: nothing would be compared"
    for spec in registry.specs():
        if spec.example:
            assert parse(spec.example).keyword == spec.keyword

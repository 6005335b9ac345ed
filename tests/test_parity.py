"""The same command through the web, the API, the CLI and chat (Slack and Matrix) leaves the
same timeline entry; only the recorded source differs."""

from io import StringIO

import pytest
from django.core.management import call_command

from incidentdesk.accounts.models import Role
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.handling import handle
from incidentdesk.chat.models import ChatIdentity, IncidentConversation, LinkMethod
from incidentdesk.chat.services import inbound_record
from incidentdesk.incidents.commands import parse, registry
from incidentdesk.incidents.models import Incident, TimelineEntry
from tests.chat import slack_fixtures

# Every registered command that gives an example (commands that need a particular setup, such
# as `close` or `invite`, give none), so a new command is compared as soon as it registers.
COMMANDS = [spec.example for spec in registry.specs() if spec.example]
# Keys whose values are row ids or random public ids, which differ between the incidents.
ID_KEYS = {"action_item", "public_incident", "update", "page"}


def _via_web(actor, reference, text, api_client, chat):
    from django.test import Client

    client = Client()
    client.force_login(actor)
    response = client.post(f"/incidents/{reference}/command", {"text": text})
    assert response.status_code in (200, 302), response.content[:300]


def _via_api(actor, reference, text, api_client, chat):
    response = api_client(actor).call("POST", f"/incidents/{reference}/commands", {"text": text})
    assert response.status_code == 200, response.json_body


def _via_cli(actor, reference, text, api_client, chat):
    call_command("say", reference, text, as_user=actor.username, stdout=StringIO())


def _via_slack(actor, reference, text, api_client, chat):
    """A mention of the bot in the incident's Slack channel, as Slack delivers it (signed, read
    by the platform), then acted on by the chat layer."""
    slack, standin = chat
    channel = standin.add_channel(reference.lower(), members=(standin.bot_user,))
    incident = Incident.objects.get(reference=reference)
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    ChatIdentity.objects.get_or_create(
        platform="slack",
        external_id="UALICE",
        defaults={"user": actor, "link": LinkMethod.ADMIN, "name": actor.username},
    )
    event = {
        "type": "app_mention",
        "user": "UALICE",
        "text": f"<@{standin.bot_user}> {text}",
        "ts": "1767259200.000100",
        "channel": channel.id,
        "event_ts": "1767259200.000100",
    }
    body = slack_fixtures.event_body(event, event_id=f"Ev{reference}", bot_user=standin.bot_user)
    headers = {**slack_fixtures.signed(body), **slack_fixtures.JSON}
    assert slack.verify(headers, body)
    [command] = slack.parse(headers, body)
    record, created = inbound_record(command)
    assert created
    handle(record.pk)
    record.refresh_from_db()
    assert record.error == "", record.error


ADAPTERS = {"web": _via_web, "api": _via_api, "cli": _via_cli, "chat": _via_slack}


def _shape(entry: TimelineEntry) -> dict:
    return {
        "kind": entry.kind,
        # A page's summary names its incident, whose reference differs between the runs.
        "body": entry.body.replace(entry.incident.reference, "<reference>"),
        "author": entry.author_id,
        # Row ids differ between the three incidents; everything else must match.
        "data": {k: ("<id>" if k in ID_KEYS else v) for k, v in entry.data.items()},
        "pinned": entry.pinned,
        "visibility": entry.visibility,
    }


@pytest.fixture
def chat(standin):
    """Slack configured against the Web API stand-in."""
    slack = slack_fixtures.SlackPlatform(
        signing_secret=slack_fixtures.SECRET, token=slack_fixtures.TOKEN, api_url=standin.url
    )
    platforms.register_platform("slack", lambda: slack)
    yield slack, standin
    platforms.unregister_platform("slack")


standin = slack_fixtures.standin


@pytest.mark.parametrize("text", COMMANDS)
def test_a_command_leaves_the_same_entry_through_web_api_cli_and_chat(
    text, make_user, declare, api_client, chat
):
    actor = make_user(Role.MANAGER, username="alice")
    make_user(Role.RESPONDER, username="bob")
    shapes = {}
    for source, run in ADAPTERS.items():
        incident = declare(actor=actor, title="Writes fail", severity="major")
        before = set(incident.timeline.values_list("pk", flat=True))
        run(actor, incident.reference, text, api_client, chat)
        new = list(incident.timeline.exclude(pk__in=before).order_by("id"))
        assert new, f"{source} recorded nothing for {text!r}"
        assert {e.source for e in new} == {source}
        shapes[source] = [_shape(e) for e in new]
    assert shapes["web"] == shapes["api"] == shapes["cli"] == shapes["chat"]


def test_each_example_runs_the_command_it_is_given_for():
    assert COMMANDS, "no registered command gives an example: nothing would be compared"
    for spec in registry.specs():
        if spec.example:
            assert parse(spec.example).keyword == spec.keyword

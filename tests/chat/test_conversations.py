"""The incident's own channel: opened from the announcement's button, the `channel` command or
on declare when its severity says so; its people invited; archived when the incident closes
and opened again when it re-opens. Against the Slack Web API stand-in, and once a real Synapse."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.conversations import (
    conversation_archive,
    conversation_open,
    conversation_unarchive,
)
from incidentdesk.chat.models import Announcement, ChatFailure, ChatIdentity, IncidentConversation
from incidentdesk.chat.outbound import OPEN_CHANNEL
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import live
from incidentdesk.incidents.models import EntryKind, Severity, TimelineEntry
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.incidents.services.lifecycle import incident_set_status
from incidentdesk.incidents.services.roles import role_assign
from tests.chat import test_handling
from tests.chat.synapse import MatrixWorld
from tests.factories import UserFactory

pytest_plugins = ["tests.chat.matrix_fixtures"]  # the `synapse` and `matrix` fixtures
deliver, posted = test_handling.deliver, test_handling.posted
pytestmark = pytest.mark.django_db


def linked(standin, platform_id: str, username: str, role: str = "responder"):
    """An account with a chat identity on Slack linked to it."""
    user = UserFactory(username=username, email=f"{username}@example.com", role=role)
    standin.add_user(platform_id, name=username, email=user.email)
    ChatIdentity.objects.create(platform="slack", external_id=platform_id, name=username, user=user)
    return user


def press(slack, incident, actor="UADA", key="Ev-press"):
    return deliver(
        kind="button",
        conversation=slack.incidents_channel,
        actor=actor,
        key=key,
        values={"action": OPEN_CHANNEL, "value": str(incident.pk)},
    )


def expected_name(incident) -> str:
    return f"{incident.reference.lower()}-checkout-is-failing"


def test_the_button_opens_a_channel_named_from_the_incident_with_its_people_as_its_chat_link(
    configured, standin, ada, declare, committed
):
    bob = linked(standin, "UBOB", "bob")
    UserFactory(username="carl", role="responder")  # no chat identity: not invited
    incident = committed(declare, actor=ada)
    committed(
        role_assign,
        actor=ada,
        source=ActionSource.WEB,
        incident=incident,
        role="lead",
        user=bob,
    )
    record = committed(press, configured, incident)

    assert record.error == ""
    channel = standin.by_name(expected_name(incident))
    assert incident.reference in channel.topic
    assert f"/incidents/{incident.reference}" in channel.topic
    assert {"UADA", "UBOB"} <= channel.members
    incident.refresh_from_db()
    assert incident.chat_url == f"https://slack.com/app_redirect?channel={channel.id}"
    entry = TimelineEntry.objects.filter(
        incident=incident, kind=EntryKind.FIELD_CHANGE, data__changes__has_key="chat_url"
    ).get()
    assert (entry.source, entry.author) == ("chat", ada)
    link = IncidentConversation.objects.get(incident=incident, platform="slack")
    assert (link.conversation, link.name) == (channel.id, channel.name)
    assert any("help" in text for text in posted(standin, channel.id))
    replies = posted(standin, configured.incidents_channel)
    assert any(incident.chat_url in text for text in replies)
    announcement = Announcement.objects.get(incident=incident)
    shown = standin.channels[announcement.conversation].messages[announcement.message]
    assert OPEN_CHANNEL not in json.dumps(shown["blocks"])
    assert incident.chat_url in shown["text"]


def test_a_taken_name_gets_the_next_number(configured, standin, ada, declare, committed):
    incident = committed(declare, actor=ada)
    standin.add_channel(expected_name(incident), archived=True)
    committed(press, configured, incident)
    link = IncidentConversation.objects.get(incident=incident)
    assert link.name == expected_name(incident) + "-2"


def test_a_second_press_answers_with_the_channel_and_opens_no_other(
    configured, standin, ada, declare, committed
):
    incident = committed(declare, actor=ada)
    committed(press, configured, incident, key="Ev-1")
    record = committed(press, configured, incident, key="Ev-2")
    assert record.error == ""
    assert len(standin.calls_to("conversations.create")) == 1
    assert IncidentConversation.objects.filter(incident=incident).count() == 1
    incident.refresh_from_db()
    assert any(
        "Already open" in text and incident.chat_url in text
        for text in posted(standin, configured.incidents_channel)
    )


def test_a_viewer_pressing_it_is_refused_and_nothing_is_created(
    configured, standin, declare, committed
):
    incident = committed(declare)
    linked(standin, "UVIC", "vic", role="viewer")
    record = committed(press, configured, incident, actor="UVIC")
    assert record.error
    assert standin.calls_to("conversations.create") == []
    assert not IncidentConversation.objects.exists()
    incident.refresh_from_db()
    assert incident.chat_url == ""
    assert posted(standin, configured.incidents_channel)[-1].startswith("You")


def test_a_restricted_incident_gets_a_private_channel(configured, standin, ada, declare, committed):
    incident = committed(declare, actor=ada, restricted=True)
    opened = committed(
        conversation_open,
        actor=ada,
        source=ActionSource.WEB,
        incident=incident,
        platform="slack",
    )
    assert opened.created
    (call,) = standin.calls_to("conversations.create")
    assert call.args["is_private"] in (True, "true", "1")


def test_the_channel_command_opens_it_from_any_door(configured, standin, ada, declare, committed):
    incident = committed(declare, actor=ada)
    result = committed(
        command_run, actor=ada, source=ActionSource.API, incident=incident, text="Channel"
    )
    link = IncidentConversation.objects.get(incident=incident)
    assert link.conversation in result.reply
    assert result.incident.chat_url.endswith(link.conversation)
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE).get()
    assert entry.source == "api"


def test_the_channel_command_says_so_when_no_platform_is_set_up(ada, declare, committed):
    incident = committed(declare, actor=ada)
    with pytest.raises(ValidationError, match="no chat platform"):
        command_run(actor=ada, source=ActionSource.WEB, incident=incident, text="channel")


def move(committed, incident, who, status, **more):
    """Set the incident's status as `who` from the web, with its after-commit work run, and
    read the incident back."""
    committed(
        incident_set_status,
        actor=who,
        source=ActionSource.WEB,
        incident=incident,
        status=status,
        **more,
    )
    incident.refresh_from_db()


def block_then_close(committed, incident, blocker, closer):
    move(
        committed,
        incident,
        blocker,
        "blocked",
        reason="waiting for the vendor",
        blocked_until=timezone.localdate() + timedelta(days=7),
    )
    move(committed, incident, closer, "closed")


def test_closing_archives_the_channel_after_a_last_message_and_reopening_unarchives_it(
    configured, standin, ada, manager, declare, committed
):
    incident = committed(declare, actor=ada)
    committed(press, configured, incident)
    link = IncidentConversation.objects.get(incident=incident)
    block_then_close(committed, incident, ada, manager)
    assert incident.status == "closed_blocked"
    channel = standin.channels[link.conversation]
    assert channel.archived
    assert "archived" in posted(standin, link.conversation)[-1]
    link.refresh_from_db()
    assert link.archived_at is not None and link.transcript_closed_at is not None

    move(committed, incident, manager, "investigating", reason="the vendor shipped")
    assert not channel.archived
    link.refresh_from_db()
    assert link.archived_at is None and link.transcript_closed_at is None


def test_archiving_and_unarchiving_the_channel_refresh_the_incidents_open_pages(
    configured, standin, ada, declare, committed
):
    incident = committed(declare, actor=ada)
    committed(press, configured, incident)
    link = IncidentConversation.objects.get(incident=incident)
    before = live.incident_version(incident.pk)
    conversation_archive(link=link)
    archived = live.incident_version(incident.pk)
    assert archived > before  # its transcript panel says "(archived)"
    conversation_unarchive(link=link)
    assert live.incident_version(incident.pk) > archived


def test_when_slack_will_not_unarchive_a_reopened_incidents_channel_a_new_one_takes_its_place(
    configured, standin, ada, manager, declare, committed
):
    incident = committed(declare, actor=ada)
    committed(press, configured, incident)
    link = IncidentConversation.objects.get(incident=incident)
    old = link.conversation
    block_then_close(committed, incident, ada, manager)
    standin.fail("conversations.unarchive", "not_in_channel")
    move(committed, incident, manager, "investigating", reason="the vendor shipped")
    link.refresh_from_db()
    assert link.conversation != old and link.archived_at is None
    assert standin.channels[old].archived and not standin.channels[link.conversation].archived
    incident.refresh_from_db()
    assert incident.chat_url == configured.link(link.conversation)
    change = incident.timeline.filter(kind="field_change").last()
    assert "chat url" in change.body.lower() and change.author == manager
    assert "could not be unarchived" in posted(standin, link.conversation)[0]


def test_a_final_close_archives_the_channel(configured, standin, ada, manager, declare, committed):
    incident = committed(declare, actor=ada, severity="trivial")
    committed(press, configured, incident)
    link = IncidentConversation.objects.get(incident=incident)
    move(committed, incident, ada, "resolved")
    move(committed, incident, manager, "closed")
    assert standin.channels[link.conversation].archived
    assert IncidentConversation.objects.get(pk=link.pk).archived_at is not None


def test_a_channel_slack_will_not_archive_is_shown_to_admins(
    configured, standin, ada, manager, declare, committed, client, admin
):
    incident = committed(declare, actor=ada, severity="trivial")
    committed(press, configured, incident)
    standin.fail("conversations.archive", "channel_not_found")
    move(committed, incident, ada, "resolved")
    move(committed, incident, manager, "closed")
    failure = ChatFailure.objects.get()
    assert (failure.platform, failure.incident, failure.code) == (
        "slack",
        incident,
        "channel_not_found",
    )
    client.force_login(admin)
    page = client.get("/chat/").content.decode()
    assert "channel_not_found" in page and incident.reference in page


def test_someone_given_a_role_after_the_channel_exists_is_invited(
    configured, standin, ada, declare, committed
):
    incident = committed(declare, actor=ada)
    committed(press, configured, incident)
    dan = linked(standin, "UDAN", "dan")
    committed(
        role_assign,
        actor=ada,
        source=ActionSource.WEB,
        incident=incident,
        role="assignee",
        user=dan,
    )
    link = IncidentConversation.objects.get(incident=incident)
    assert "UDAN" in standin.channels[link.conversation].members


def test_a_severity_whose_policy_says_so_opens_the_channel_on_declare(
    configured, standin, ada, declare, committed
):
    Severity.objects.filter(key="major").update(opens_chat_channel=True)
    ChatIdentity.objects.create(platform="slack", external_id="UADA", name="ada", user=ada)
    incident = committed(declare, actor=ada)
    link = IncidentConversation.objects.get(incident=incident, platform="slack")
    assert standin.channels[link.conversation].name == expected_name(incident)
    assert "UADA" in standin.channels[link.conversation].members
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE).get()
    assert (entry.source, entry.author) == ("system", ada)

    other = committed(declare, actor=ada, severity="trivial")
    assert not IncidentConversation.objects.filter(incident=other).exists()


def test_a_channel_renamed_in_slack_keeps_its_new_name(
    configured, standin, ada, declare, committed
):
    incident = committed(declare, actor=ada)
    committed(press, configured, incident)
    link = IncidentConversation.objects.get(incident=incident)
    record = committed(
        deliver, kind="conversation_renamed", conversation=link.conversation, actor="", text="db"
    )
    assert record.error == ""
    link.refresh_from_db()
    assert link.name == "db"


def test_the_severity_policy_is_set_through_the_api(boss):
    response = boss.call("PATCH", "/severities/major", {"opens_chat_channel": True})
    assert response.status_code == 200, response.json_body
    assert response.json_body["opens_chat_channel"] is True
    assert Severity.objects.get(key="major").opens_chat_channel


def test_a_matrix_room_is_opened_with_the_lead_invited_and_linked(
    matrix, synapse: MatrixWorld, ada, declare, committed
):
    platforms.register_platform("matrix", lambda: matrix)
    try:
        alice = UserFactory(username="alice", role="responder")
        ChatIdentity.objects.create(
            platform="matrix", external_id=synapse.alice.user_id, name="alice", user=alice
        )
        incident = committed(declare, actor=ada)
        committed(
            role_assign,
            actor=ada,
            source=ActionSource.WEB,
            incident=incident,
            role="lead",
            user=alice,
        )
        opened = committed(
            conversation_open,
            actor=ada,
            source=ActionSource.WEB,
            incident=incident,
            platform="matrix",
        )
    finally:
        platforms.unregister_platform("matrix")
    room = opened.conversation.conversation
    assert opened.url == f"https://matrix.to/#/{room}"
    incident.refresh_from_db()
    assert incident.chat_url == opened.url
    name = synapse.as_user(synapse.bot, "GET", f"/rooms/{room}/state/m.room.name/")
    assert name["name"] == f"{incident.reference} {incident.title}"
    member = synapse.as_user(
        synapse.bot, "GET", f"/rooms/{room}/state/m.room.member/{synapse.alice.user_id}"
    )
    assert member["membership"] == "invite"

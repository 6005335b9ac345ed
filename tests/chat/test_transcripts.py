"""An incident's chat transcript is kept as messages arrive; a pin (or the pin reaction) puts
a message on the timeline with its author and original time, as the person who pinned it; a
closed incident's transcript is purged after the retention period, its pins kept."""

import logging
from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.handling import handle
from incidentdesk.chat.models import ChatIdentity, ChatMessage, ChatSettings, IncidentConversation
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.chat.services import inbound_record
from incidentdesk.chat.transcript_tasks import purge_transcripts
from incidentdesk.chat.transcripts import is_pin_reaction, transcripts_purge
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus, TimelineEntry
from tests.chat.test_matrix_platform import caught_up, room_with_alice, synced
from tests.chat.test_matrix_platform import say as matrix_say

pytest_plugins = ["tests.chat.matrix_fixtures"]  # the `synapse` and `matrix` fixtures

pytestmark = pytest.mark.django_db

SAID_AT = datetime(2026, 3, 2, 9, 15, tzinfo=UTC)


@pytest.fixture
def room(configured, standin, declare, committed):
    """An incident with its Slack channel; Bob (not linked to any account) talks in it."""
    incident = committed(declare)
    channel = standin.add_channel("inc-checkout", members=(standin.bot_user,))
    standin.add_user("UBOB", name="bob")
    return IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id, name="inc-checkout"
    )


def deliver(kind, *, key, conversation, actor="UADA", at=None, **more):
    event = InboundEvent(
        platform="slack",
        dedup_key=key,
        kind=kind,
        conversation=conversation,
        actor=actor,
        occurred_at=at or datetime.now(tz=UTC),
        **more,
    )
    record, created = inbound_record(event)
    assert created
    handle(record.pk)
    record.refresh_from_db()
    return record


def say(room, text, *, message="1772442900.000100", key="EvSay", actor="UBOB", at=SAID_AT):
    return deliver(
        "message",
        key=key,
        conversation=room.conversation,
        actor=actor,
        at=at,
        text=text,
        message=message,
    )


def pin(room, *, message="1772442900.000100", key="EvPin", actor="UADA", text="", **values):
    return deliver(
        "pin",
        key=key,
        conversation=room.conversation,
        actor=actor,
        text=text,
        message=message,
        values={"pinned_by": actor, **values},
    )


def chat_entries(incident):
    return list(TimelineEntry.objects.filter(incident=incident, kind=EntryKind.CHAT_MESSAGE))


# Capture ------------------------------------------------------------------------------------


def test_a_message_in_the_incidents_channel_is_kept_once_with_its_author_and_time(room, committed):
    committed(say, room, "the cache is cold")
    committed(say, room, "the cache is cold", key="EvSayAgain")  # the same message, again
    [kept] = ChatMessage.objects.filter(conversation=room)
    assert (kept.author, kept.author_name, kept.text) == ("UBOB", "bob", "the cache is cold")
    assert kept.posted_at == SAID_AT and not kept.pinned


def test_a_message_in_another_channel_is_not_kept(room, standin, committed):
    other = standin.add_channel("random", members=(standin.bot_user,))
    record = committed(
        deliver, "message", key="EvRandom", conversation=other.id, actor="UBOB", text="lunch?"
    )
    assert record.processed_at and record.error == ""
    assert not ChatMessage.objects.exists()


# Pins ---------------------------------------------------------------------------------------


def test_a_pin_puts_the_message_on_the_timeline_with_its_author_and_time_as_the_pinner(
    room, ada, committed
):
    committed(say, room, "rolled back deploy 4411")
    record = committed(pin, room, text="rolled back deploy 4411")
    assert record.error == ""
    [entry] = chat_entries(room.incident)
    assert entry.pinned and entry.source == "chat" and entry.author == ada
    assert entry.occurred_at == SAID_AT
    assert entry.body == "bob: rolled back deploy 4411"
    assert entry.data["author"] == "UBOB" and entry.data["message"] == "1772442900.000100"
    assert (entry.data["platform"], entry.data["conversation"]) == ("slack", room.conversation)
    message = ChatMessage.objects.get(conversation=room)
    assert message.pinned and message.entry == entry


def test_a_pin_of_a_message_never_captured_takes_its_author_and_time_from_the_pin(
    room, ada, committed
):
    committed(
        pin,
        room,
        message="1772400000.000200",
        text="db failover started",
        author="UBOB",
        posted_at="2026-03-01T21:20:00+00:00",
    )
    [entry] = chat_entries(room.incident)
    assert entry.body == "bob: db failover started"
    assert entry.occurred_at == datetime(2026, 3, 1, 21, 20, tzinfo=UTC)
    kept = ChatMessage.objects.get(conversation=room)
    assert (kept.text, kept.author, kept.pinned, kept.entry) == (
        "db failover started",
        "UBOB",
        True,
        entry,
    )


def test_pinning_the_same_message_twice_makes_one_entry(room, ada, committed):
    committed(say, room, "rolled back deploy 4411")
    committed(pin, room, key="EvPin1")
    committed(pin, room, key="EvPin2")
    committed(
        deliver,
        "reaction",
        key="EvReact",
        conversation=room.conversation,
        reaction="pushpin",
        message="1772442900.000100",
    )
    assert len(chat_entries(room.incident)) == 1


def test_unpinning_leaves_the_entry_on_the_timeline_out_of_the_pinned_view(room, ada, committed):
    committed(say, room, "rolled back deploy 4411")
    committed(pin, room)
    record = committed(
        deliver,
        "unpin",
        key="EvUnpin",
        conversation=room.conversation,
        message="1772442900.000100",
    )
    assert record.error == ""
    [entry] = chat_entries(room.incident)
    assert not entry.pinned
    assert not ChatMessage.objects.get(conversation=room).pinned
    committed(pin, room, key="EvPinAgain")
    [again] = chat_entries(room.incident)
    assert again.pk == entry.pk and again.pinned


def test_the_pin_reaction_pins_the_message_and_other_reactions_do_nothing(room, ada, committed):
    committed(say, room, "rolled back deploy 4411")
    committed(
        deliver,
        "reaction",
        key="EvThumbs",
        conversation=room.conversation,
        reaction="+1",
        message="1772442900.000100",
    )
    assert chat_entries(room.incident) == []
    committed(
        deliver,
        "reaction",
        key="EvPushpin",
        conversation=room.conversation,
        reaction="pushpin",
        message="1772442900.000100",
        values={"author": "UBOB"},
    )
    [entry] = chat_entries(room.incident)
    assert entry.pinned and entry.author == ada and entry.occurred_at == SAID_AT
    assert entry.body == "bob: rolled back deploy 4411"


def test_the_pin_reaction_is_its_name_or_its_emoji_and_the_setting_chooses_it(settings):
    assert settings.CHAT_PIN_REACTION == "pushpin"
    assert is_pin_reaction("pushpin") and is_pin_reaction(":pushpin:")
    assert is_pin_reaction("📌") and is_pin_reaction("📌\ufe0f")
    assert not is_pin_reaction("thumbsup") and not is_pin_reaction("👍")
    assert not is_pin_reaction("")
    settings.CHAT_PIN_REACTION = "star"
    assert is_pin_reaction("⭐") and is_pin_reaction("star")
    assert not is_pin_reaction("pushpin") and not is_pin_reaction("📌")


def test_an_unlinked_pinner_is_refused_and_nothing_is_written(room, standin, committed):
    committed(say, room, "rolled back deploy 4411")
    standin.add_user("UEVE", name="eve")
    entries = TimelineEntry.objects.count()
    record = committed(pin, room, actor="UEVE")
    assert "not linked" in record.error
    assert TimelineEntry.objects.count() == entries
    message = ChatMessage.objects.get(conversation=room)
    assert not message.pinned and message.entry is None
    replies = [
        c.args["text"]
        for c in standin.calls_to("chat.postMessage")
        if c.args["channel"] == room.conversation
    ]
    assert any("not linked" in text for text in replies)


def test_a_viewer_cannot_pin_to_the_timeline(room, standin, make_user, committed):
    make_user(role="viewer", username="vic", email="vic@example.com")
    standin.add_user("UVIC", name="vic", email="vic@example.com")
    record = committed(pin, room, actor="UVIC", text="rolled back deploy 4411")
    assert record.error
    assert chat_entries(room.incident) == []
    assert not ChatMessage.objects.filter(conversation=room, pinned=True).exists()


# Retention ----------------------------------------------------------------------------------


def closed(incident, days_ago):
    Incident.objects.filter(pk=incident.pk).update(
        status=IncidentStatus.CLOSED, closed_at=timezone.now() - timedelta(days=days_ago)
    )


def test_a_transcript_past_its_retention_is_deleted_its_pins_kept_and_the_purge_recorded(
    room, ada, committed, caplog
):
    committed(say, room, "rolled back deploy 4411")
    committed(say, room, "thanks all", message="1772443000.000100", key="EvSay2")
    committed(pin, room)
    ChatSettings.objects.create(transcript_retention_days=30)
    closed(room.incident, days_ago=31)
    with caplog.at_level(logging.INFO, logger="incidentdesk.chat.transcripts"):
        purge_transcripts.call_local()
    assert not ChatMessage.objects.filter(conversation=room).exists()
    room.refresh_from_db()
    assert room.transcript_purged_at is not None
    [pinned] = chat_entries(room.incident)
    assert pinned.pinned and pinned.body == "bob: rolled back deploy 4411"
    [purge] = TimelineEntry.objects.filter(incident=room.incident, data__event="transcript_purged")
    assert (purge.source, purge.kind, purge.author) == ("system", EntryKind.EVENT, None)
    assert purge.data["messages"] == 2 and purge.data["retention_days"] == 30
    assert "#inc-checkout" in purge.body and "30 days" in purge.body
    assert any(room.incident.reference in r.getMessage() for r in caplog.records)
    # Nothing more is kept there, and a second run has nothing to do.
    committed(say, room, "one more", message="1772449999.000100", key="EvLate")
    assert transcripts_purge() == []
    assert not ChatMessage.objects.filter(conversation=room).exists()


def test_a_transcript_within_its_retention_or_kept_forever_stays(room, committed):
    committed(say, room, "rolled back deploy 4411")
    closed(room.incident, days_ago=400)
    assert transcripts_purge() == []  # no retention period set: kept forever
    ChatSettings.objects.create(transcript_retention_days=500)
    assert transcripts_purge() == []
    assert ChatMessage.objects.filter(conversation=room).count() == 1
    assert not TimelineEntry.objects.filter(data__event="transcript_purged").exists()


def test_an_open_incidents_transcript_is_never_purged(room, committed):
    committed(say, room, "rolled back deploy 4411")
    ChatSettings.objects.create(transcript_retention_days=0)
    assert transcripts_purge() == []
    assert ChatMessage.objects.filter(conversation=room).count() == 1


def test_the_cli_purges_what_the_daily_task_would(room, committed, cli):
    committed(say, room, "rolled back deploy 4411")
    ChatSettings.objects.create(transcript_retention_days=7)
    closed(room.incident, days_ago=8)
    run = cli("chat", "purge-transcripts")
    assert run.code == 0
    assert f"{room.incident.reference}: slack #inc-checkout purged" in run.out
    assert "1 transcript purged" in run.out
    assert not ChatMessage.objects.filter(conversation=room).exists()
    assert "0 transcripts purged" in cli("chat", "purge-transcripts").out


# The page -----------------------------------------------------------------------------------


def test_the_transcript_shows_chat_text_as_text_on_the_incident_page_and_its_own(
    room, ada, client, responder, committed
):
    committed(say, room, "<script>alert('x')</script> & <b>bold</b>")
    committed(pin, room)
    client.force_login(responder)
    reference = room.incident.reference
    for url in (
        reverse("incident_detail", args=[reference]),
        reverse("chat_transcript", args=[reference]),
    ):
        page = client.get(url).content.decode()
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page
        assert "<script>alert" not in page and "<b>bold" not in page
        assert "bob" in page and "Pinned" in page
    panel = client.get(reverse("incident_detail", args=[reference])).content.decode()
    assert reverse("chat_transcript", args=[reference]) in panel


def test_the_panel_shows_the_latest_messages_and_the_page_all_of_them(room, client, responder):
    for n in range(12):
        ChatMessage.objects.create(
            conversation=room,
            message=f"m{n}",
            author="UBOB",
            author_name="bob",
            text=f"step {n:02d}",
            posted_at=SAID_AT + timedelta(minutes=n),
        )
    client.force_login(responder)
    panel = client.get(reverse("incident_detail", args=[room.incident.reference])).content
    assert b"step 11" in panel and b"step 02" in panel and b"step 01" not in panel
    assert b"The latest 10 of 12 messages" in panel
    page = client.get(reverse("chat_transcript", args=[room.incident.reference])).content
    assert all(f"step {n:02d}".encode() in page for n in range(12))


def test_a_restricted_incidents_transcript_is_not_found_for_an_outsider(
    configured, standin, declare, make_user, client, committed
):
    incident = committed(declare, restricted=True)
    link = IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation="CSECRET"
    )
    ChatMessage.objects.create(
        conversation=link, message="m1", author="UBOB", text="the canary", posted_at=SAID_AT
    )
    client.force_login(make_user(username="outsider"))
    response = client.get(reverse("chat_transcript", args=[incident.reference]))
    assert response.status_code == 404
    assert b"the canary" not in response.content


def test_a_linked_identity_name_is_used_without_asking_the_platform(room, standin, committed):
    ChatIdentity.objects.create(platform="slack", external_id="UCAL", name="cal")
    committed(say, room, "on it", actor="UCAL", key="EvCal")
    assert ChatMessage.objects.get(conversation=room).author_name == "cal"
    assert not [c for c in standin.calls_to("users.info") if c.args.get("user") == "UCAL"]


# Matrix, through a real Synapse ------------------------------------------------------------


def test_a_matrix_pin_and_the_pin_emoji_put_messages_on_the_timeline(
    request, synapse, matrix, declare, responder, committed
):
    platforms.register_platform("matrix", lambda: matrix)
    request.addfinalizer(lambda: platforms.unregister_platform("matrix"))
    alice = synapse.alice.user_id
    ChatIdentity.objects.create(
        platform="matrix", external_id=alice, name="alice", user=responder, link="admin"
    )
    incident = committed(declare)
    room = room_with_alice(matrix, synapse, name="inc-transcript")
    IncidentConversation.objects.create(incident=incident, platform="matrix", conversation=room)
    since = caught_up(matrix)
    first = matrix_say(synapse, room, {"body": "failing over to the replica"}, "tr-1")
    second = matrix_say(synapse, room, {"body": "replica is serving"}, "tr-2")
    synapse.as_user(
        synapse.alice, "PUT", f"/rooms/{room}/state/m.room.pinned_events/", {"pinned": [first]}
    )
    reaction = {"m.relates_to": {"rel_type": "m.annotation", "event_id": second, "key": "📌"}}
    synapse.as_user(synapse.alice, "PUT", f"/rooms/{room}/send/m.reaction/tr-3", reaction)
    events = synced(matrix, since, room, lambda got: any(e.kind == "reaction" for e in got))
    for event in events:
        record, created = inbound_record(event)
        assert created
        committed(handle, record.pk)
    said = {m.message: m for m in ChatMessage.objects.filter(conversation__conversation=room)}
    assert set(said) == {first, second} and all(m.author == alice for m in said.values())
    entries = {e.data["message"]: e for e in chat_entries(incident)}
    assert set(entries) == {first, second}
    assert entries[first].body == "alice: failing over to the replica"
    assert entries[second].body == "alice: replica is serving"
    for message_id, entry in entries.items():
        assert entry.pinned and entry.author == responder and entry.source == "chat"
        assert entry.occurred_at == said[message_id].posted_at

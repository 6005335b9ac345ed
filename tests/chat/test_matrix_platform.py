"""The Matrix platform against a real Synapse on loopback (tests/chat/synapse.py)."""

from collections.abc import Callable

import pytest

from incidentdesk.chat.platforms.base import ChatError, InboundEvent, Message, RateLimited
from incidentdesk.chat.platforms.matrix import MatrixPlatform
from tests.chat.synapse import MatrixWorld
from tests.processes import wait_for

pytest_plugins = ["tests.chat.matrix_fixtures"]  # the `synapse` and `matrix` fixtures


def caught_up(platform: MatrixPlatform) -> str:
    """A sync token after everything that has happened so far. (Synapse answers a repeated
    sync from a cache for a while, so a token may be behind: read on until nothing is new.
    An answer with no events of ours is not the end: it may hold only others'.)"""
    _, token = platform.sync()
    while True:
        _, after = platform.sync(token)
        if after == token:
            return token
        token = after


def synced(
    platform: MatrixPlatform,
    since: str,
    room: str,
    wanted: Callable[[list[InboundEvent]], bool],
    *,
    seconds: float = 15,
) -> list[InboundEvent]:
    """Sync from `since` until the events of `room` gathered so far satisfy `wanted`."""
    gathered: list[InboundEvent] = []
    token = [since]

    def done() -> bool:
        events, token[0] = platform.sync(token[0], wait_ms=500)
        gathered.extend(event for event in events if event.conversation == room)
        return wanted(gathered)

    wait_for(done, seconds=seconds, what="the events to come back from /sync", every=0)
    return gathered


def room_with_alice(matrix: MatrixPlatform, synapse: MatrixWorld, name: str = "inc-1") -> str:
    room = matrix.create_conversation(name, topic="INC-1").id
    matrix.invite(room, [synapse.alice.user_id])
    synapse.as_user(synapse.alice, "POST", f"/join/{room}")
    return room


def messages(synapse: MatrixWorld, room: str) -> list[dict]:
    answer = synapse.as_user(synapse.alice, "GET", f"/rooms/{room}/messages?dir=b&limit=50")
    return [event for event in answer["chunk"] if event["type"] == "m.room.message"]


def say(synapse: MatrixWorld, room: str, content: dict, txn: str) -> str:
    path = f"/rooms/{room}/send/m.room.message/{txn}"
    return synapse.as_user(synapse.alice, "PUT", path, {"msgtype": "m.text"} | content)["event_id"]


def test_a_posted_message_reads_back_from_the_room(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    posted = matrix.post(room, Message("INC-1 declared: checkout fails"), key="announce-1")
    [event] = messages(synapse, room)
    assert event["event_id"] == posted.id
    assert event["content"]["body"] == "INC-1 declared: checkout fails"
    assert event["sender"] == synapse.bot.user_id


def test_posting_twice_with_the_same_key_sends_one_event(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    first = matrix.post(room, Message("once"), key="notice-7")
    again = matrix.post(room, Message("once"), key="notice-7")
    assert again.id == first.id
    assert [event["content"]["body"] for event in messages(synapse, room)] == ["once"]


def test_an_update_edits_the_message_in_place(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    posted = matrix.post(room, Message("Severity: major"), key="headline")
    matrix.update(posted, Message("Severity: critical"))
    edit = messages(synapse, room)[0]
    assert edit["content"]["m.relates_to"] == {"rel_type": "m.replace", "event_id": posted.id}
    assert edit["content"]["m.new_content"]["body"] == "Severity: critical"
    # Synapse hands the original out with its latest edit applied for clients
    original = synapse.as_user(synapse.alice, "GET", f"/rooms/{room}/event/{posted.id}")
    assert original["unsigned"]["m.relations"]["m.replace"]["event_id"] == edit["event_id"]


def test_a_new_room_has_its_name_and_topic_and_the_invited_user_sees_the_invite(matrix, synapse):
    conversation = matrix.create_conversation("inc-2026-0042-checkout", topic="INC-2026-0042")
    matrix.invite(conversation.id, [synapse.bob.user_id])
    matrix.invite(conversation.id, [synapse.bob.user_id])  # a repeat is no error
    room = f"/rooms/{conversation.id}/state"
    assert matrix.api.call("GET", f"{room}/m.room.name/")["name"] == "inc-2026-0042-checkout"
    assert matrix.api.call("GET", f"{room}/m.room.topic/")["topic"] == "INC-2026-0042"
    invites = synapse.as_user(synapse.bob, "GET", "/sync?timeout=0&full_state=true")
    assert conversation.id in invites["rooms"]["invite"]
    synapse.as_user(synapse.bob, "POST", f"/join/{conversation.id}")


def test_renaming_sets_the_rooms_name(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    matrix.rename_conversation(room, "inc-1-payments-down")
    name = synapse.as_user(synapse.alice, "GET", f"/rooms/{room}/state/m.room.name/")
    assert name["name"] == "inc-1-payments-down"


def test_archiving_makes_the_room_read_only_for_members_and_unarchiving_reopens_it(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    matrix.archive_conversation(room)
    with pytest.raises(AssertionError, match="M_FORBIDDEN"):
        say(synapse, room, {"body": "one more thing"}, "late-1")
    matrix.archive_conversation(room)  # closing a closed room changes nothing
    matrix.unarchive_conversation(room)
    say(synapse, room, {"body": "re-opened"}, "late-2")
    assert messages(synapse, room)[0]["content"]["body"] == "re-opened"


def test_pinning_a_message_comes_back_from_sync_as_a_pin_with_its_text(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    since = caught_up(matrix)
    found = say(synapse, room, {"body": "rolled back deploy 4411"}, "pin-me")
    pins = f"/rooms/{room}/state/m.room.pinned_events/"
    synapse.as_user(synapse.alice, "PUT", pins, {"pinned": [found]})
    synapse.as_user(synapse.alice, "PUT", pins, {"pinned": []})
    events = synced(matrix, since, room, lambda got: any(e.kind == "unpin" for e in got))
    [pin] = [event for event in events if event.kind == "pin"]
    [unpin] = [event for event in events if event.kind == "unpin"]
    assert (pin.conversation, pin.actor, pin.message) == (room, synapse.alice.user_id, found)
    assert pin.text == "rolled back deploy 4411"
    assert unpin.message == found
    assert pin.dedup_key != unpin.dedup_key


def test_a_pin_of_a_message_sent_before_the_bot_listened_reads_its_text(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    found = say(synapse, room, {"body": "the cache was cold"}, "early")
    since = caught_up(matrix)
    pins = f"/rooms/{room}/state/m.room.pinned_events/"
    synapse.as_user(synapse.alice, "PUT", pins, {"pinned": [found]})
    events = synced(matrix, since, room, lambda got: any(e.kind == "pin" for e in got))
    print(events)
    [pin] = events
    assert pin.text == "the cache was cold"


def test_a_reaction_comes_back_as_a_reaction_on_its_message(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    since = caught_up(matrix)
    found = say(synapse, room, {"body": "db failover done"}, "react-to")
    relation = {"rel_type": "m.annotation", "event_id": found, "key": "📌"}
    reaction = synapse.as_user(
        synapse.alice, "PUT", f"/rooms/{room}/send/m.reaction/r1", {"m.relates_to": relation}
    )
    events = synced(matrix, since, room, lambda got: any(e.kind == "reaction" for e in got))
    [event] = [event for event in events if event.kind == "reaction"]
    assert (event.message, event.reaction, event.dedup_key) == (found, "📌", reaction["event_id"])


def test_a_bang_command_and_a_mention_come_back_as_commands(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    since = caught_up(matrix)
    bot = synapse.bot.user_id
    say(synapse, room, {"body": "!sev critical"}, "c1")
    say(synapse, room, {"body": f"{bot}: lead @alice", "m.mentions": {"user_ids": [bot]}}, "c2")
    say(synapse, room, {"body": "incidentbot, summary Checkout is down"}, "c3")
    say(synapse, room, {"body": "!incident Payments time out"}, "c4")
    say(synapse, room, {"body": "the bot is slow today"}, "c5")
    # Each command or declaration comes with its copy for the transcript (a `message`).
    events = synced(matrix, since, room, lambda got: len(got) >= 9)
    copies = [event for event in events if event.dedup_key.endswith(":message")]
    assert [(event.kind, event.text) for event in events if event not in copies] == [
        ("command", "sev critical"),
        ("command", "lead @alice"),
        ("command", "summary Checkout is down"),
        ("declare", "Payments time out"),
        ("message", "the bot is slow today"),
    ]
    assert [(event.kind, event.text) for event in copies] == [
        ("message", "!sev critical"),
        ("message", f"{bot}: lead @alice"),
        ("message", "incidentbot, summary Checkout is down"),
        ("message", "!incident Payments time out"),
    ]
    assert {event.actor for event in events} == {synapse.alice.user_id}


def test_the_bots_own_messages_are_not_events(matrix, synapse):
    room = room_with_alice(matrix, synapse)
    since = caught_up(matrix)
    matrix.post(room, Message("!sev critical"), key="echo")
    say(synapse, room, {"body": "after the bot"}, "after")
    events = synced(matrix, since, room, lambda got: len(got) >= 1)
    assert [(event.kind, event.text) for event in events] == [("message", "after the bot")]


def test_an_unknown_room_is_a_chat_error_with_the_errcode(matrix, synapse):
    with pytest.raises(ChatError) as refused:
        matrix.post("!nowhere:incidentdesk.test", Message("hello"), key="lost")
    assert refused.value.code == "M_FORBIDDEN"
    assert "not in room" in refused.value.message  # Synapse's own words, kept for admins


def test_a_direct_message_reuses_its_room(matrix, synapse):
    first = matrix.direct_message(synapse.bob.user_id, Message("you are the lead of INC-7"))
    second = matrix.direct_message(synapse.bob.user_id, Message("check-in due"))
    assert second.conversation == first.conversation
    invited = f"/rooms/{first.conversation}/state/m.room.member/{synapse.bob.user_id}"
    member = matrix.api.call("GET", invited)
    assert (member["membership"], member["is_direct"]) == ("invite", True)


def test_a_direct_message_sent_again_with_its_key_is_posted_once(matrix, synapse):
    first = matrix.direct_message(synapse.alice.user_id, Message("check-in due"), key="dm-7:1")
    again = matrix.direct_message(synapse.alice.user_id, Message("check-in due"), key="dm-7:1")
    assert again.id == first.id


def test_a_user_has_a_display_name_and_no_email(matrix, synapse):
    path = f"/profile/{synapse.alice.user_id}/displayname"
    synapse.as_user(synapse.alice, "PUT", path, {"displayname": "Alice Ops"})
    person = matrix.user(synapse.alice.user_id)
    assert (person.id, person.name, person.email) == (synapse.alice.user_id, "Alice Ops", "")


def test_a_rate_limited_bot_is_told_how_long_to_wait(synapse):
    hasty = synapse.server.register("hasty")
    platform = MatrixPlatform(
        homeserver_url=synapse.server.url, bot_user=hasty.user_id, token=hasty.token
    )
    room = platform.create_conversation("slow", topic="").id
    admin = synapse.server.register("overseer", admin=True)
    synapse.server.call(
        "POST",
        f"/_synapse/admin/v1/users/{hasty.user_id}/override_ratelimit",
        {"messages_per_second": 1, "burst_count": 1},
        token=admin.token,
    )
    with pytest.raises(RateLimited) as limited:
        for number in range(5):
            platform.post(room, Message(f"burst {number}"), key=f"burst-{number}")
    assert limited.value.retry_after > 0
    assert limited.value.code == "ratelimited"

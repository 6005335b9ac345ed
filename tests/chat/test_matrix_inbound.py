"""Reading a Matrix `/sync` answer needs no homeserver: these cover what a real Synapse would
not send (malformed answers) and the wording rules of commands."""

import json

import pytest

from incidentdesk.chat.platforms.matrix import MatrixPlatform
from incidentdesk.chat.transcripts import is_pin_reaction

BOT = "@incidentbot:example.org"


def platform() -> MatrixPlatform:
    return MatrixPlatform(homeserver_url="http://127.0.0.1:9", bot_user=BOT, token="unused")


def answer(*events: dict, room: str = "!room:example.org") -> bytes:
    return json.dumps({"rooms": {"join": {room: {"timeline": {"events": list(events)}}}}}).encode()


def said(body: str, event_id: str = "$1", **content) -> dict:
    return {
        "type": "m.room.message",
        "event_id": event_id,
        "sender": "@alice:example.org",
        "origin_server_ts": 1767225600000,
        "content": {"msgtype": "m.text", "body": body, **content},
    }


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]"])
def test_an_answer_that_is_not_a_json_object_is_refused_with_a_reason(body):
    with pytest.raises(ValueError, match="sync answer"):
        platform().parse({}, body)


def joined(events: list) -> dict:
    return {"rooms": {"join": {"!r:x": {"timeline": {"events": events}}}}}


@pytest.mark.parametrize(
    "shape",
    [
        {},
        {"rooms": []},
        joined([1, "x", {"type": "m.room.message"}]),
        joined([said("hi") | {"content": "no"}]),
        joined([said("hi") | {"content": {"body": 5}}]),
    ],
)
def test_odd_shapes_give_no_events_instead_of_an_error(shape):
    assert platform().parse({}, json.dumps(shape).encode()) == []


@pytest.mark.parametrize(
    ("body", "kind", "text"),
    [
        ("!SEV critical", "command", "SEV critical"),
        ("! help", "command", "help"),
        (f"{BOT} sev 1", "command", "sev 1"),
        ("Incidentbot: lead @bob", "command", "lead @bob"),
        ("!incident", "declare", ""),
        ("!Incident  Login broken ", "declare", "Login broken"),
        ("incidentbot is down again", "message", "incidentbot is down again"),
        ("ping me when done", "message", "ping me when done"),
    ],
)
def test_commands_are_told_from_talk(body, kind, text):
    event, *also = platform().parse({}, answer(said(body)))
    assert (event.kind, event.text, event.dedup_key) == (kind, text, "$1")
    # A command was said in the room too: it is the transcript's as well, under its own key.
    said_too = [("message", body, "$1:message", "$1")] if kind != "message" else []
    assert [(e.kind, e.text, e.dedup_key, e.message) for e in also] == said_too
    assert event.occurred_at.isoformat() == "2026-01-01T00:00:00+00:00"


def test_an_edited_message_is_never_run_as_a_command_again():
    edit = said(
        "* !resolve",
        "$2",
        **{
            "m.new_content": {"msgtype": "m.text", "body": "!resolve"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$1"},
        },
    )
    [event] = platform().parse({}, answer(edit))
    assert (event.kind, event.text, event.message) == ("message", "!resolve", "$1")


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("!lead @ann:example.org", "lead <@@ann:example.org>"),
        ("!assign @ann:example.org.", "assign <@@ann:example.org>."),
        (
            "!assign @ann:hs.example:8448, @bo-b:[::1]",
            "assign <@@ann:hs.example:8448>, <@@bo-b:[::1]>",
        ),
        (f"{BOT}: lead @ann:example.org", "lead <@@ann:example.org>"),
        (f"!lead {BOT}", "lead"),
        ("!lead <@@ann:example.org>", "lead <@@ann:example.org>"),
        ("!lead @ann or ann@example.org", "lead @ann or ann@example.org"),
    ],
)
def test_people_named_in_a_command_by_user_id_take_the_common_mention_form(body, text):
    event = platform().parse({}, answer(said(body)))[0]
    assert event.text == text


def pills(body: str, html: str) -> dict:
    return said(body, format="org.matrix.custom.html", formatted_body=html)


def test_a_pill_names_the_person_it_links_to_and_the_bots_own_is_the_address():
    message = pills(
        "Desk Bot: lead Ann Lee & assign Ann",
        f'<a href="https://matrix.to/#/{BOT}">Desk Bot</a>: lead '
        '<a href="https://matrix.to/#/%40ann%3Aexample.org">Ann Lee</a> &amp; assign '
        '<a href="matrix:u/ann2:example.org?action=chat">Ann</a>',
    )
    event = platform().parse({}, answer(message))[0]
    assert (event.kind, event.text) == (
        "command",
        "lead <@@ann:example.org> & assign <@@ann2:example.org>",
    )


def test_pills_in_talk_leave_the_message_as_it_was_said():
    message = pills("thanks Ann", '<a href="https://matrix.to/#/@ann:example.org">Ann</a>')
    [event] = platform().parse({}, answer(message))
    assert (event.kind, event.text) == ("message", "thanks Ann")


@pytest.mark.parametrize("key", ["📌", "📌\ufe0f"])
def test_a_pushpin_reaction_counts_as_the_default_pin_reaction(key):
    reaction = {
        "type": "m.reaction",
        "event_id": "$r",
        "sender": "@alice:example.org",
        "content": {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$1", "key": key}},
    }
    [event] = platform().parse({}, answer(reaction))
    assert (event.kind, event.message) == ("reaction", "$1")
    assert is_pin_reaction(event.reaction)


def test_a_room_just_joined_is_read_from_the_bots_join_on():
    join = {
        "type": "m.room.member",
        "event_id": "$j",
        "sender": BOT,
        "state_key": BOT,
        "content": {"membership": "join"},
        "unsigned": {"prev_content": {"membership": "invite"}},
    }
    renamed = join | {"event_id": "$n", "unsigned": {"prev_content": {"membership": "join"}}}
    timeline = [said("!sev 1", "$old"), join, said("!sev 2", "$new"), renamed, said("hi", "$3")]
    events = platform().parse({}, answer(*timeline))
    assert [event.dedup_key for event in events] == ["$new", "$new:message", "$3"]


def test_invitations_name_who_invited_the_bot():
    member = {"type": "m.room.member", "state_key": BOT, "sender": "@ann:example.org"}
    invited = {
        "!a:example.org": {
            "invite_state": {"events": [member | {"content": {"membership": "invite"}}]}
        },
        "!b:x": {"invite_state": "odd"},
    }
    found = platform().reader.invites({"rooms": {"invite": invited}})
    assert [(i.room, i.inviter) for i in found] == [
        ("!a:example.org", "@ann:example.org"),
        ("!b:x", ""),
    ]

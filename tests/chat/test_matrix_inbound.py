"""Reading a Matrix `/sync` answer needs no homeserver: these cover what a real Synapse would
not send (malformed answers) and the wording rules of commands."""

import json

import pytest

from incidentdesk.chat.platforms.matrix import MatrixPlatform

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
    [event] = platform().parse({}, answer(said(body)))
    assert (event.kind, event.text, event.dedup_key) == (kind, text, "$1")
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

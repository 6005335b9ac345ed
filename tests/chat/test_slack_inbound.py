"""Slack's inbound requests: the v0 signature is checked on the raw body within five minutes,
and each payload Slack documents becomes the chat layer's event (payload shapes from
api.slack.com: the Events API wrapper and its events, slash commands, interaction payloads)."""

import json
import time
from datetime import UTC, datetime

import pytest

from incidentdesk.chat.platforms.slack import SlackPlatform
from tests.chat.slack_fixtures import (
    FORM,
    JSON,
    SECRET,
    event_body,
    form_body,
    interaction_body,
    signed,
)

BOT = "UBOT000001"


@pytest.fixture
def platform() -> SlackPlatform:
    # Inbound needs no Web API: nothing here is sent anywhere.
    return SlackPlatform(signing_secret=SECRET, token="xoxb-unused", api_url="http://127.0.0.1:9/")


MENTION = {
    "type": "app_mention",
    "user": "U061F7AUR",
    "text": "<@UBOT000001> sev major",
    "ts": "1767259200.000200",
    "channel": "C0LAN2Q65",
    "event_ts": "1767259200.000200",
}


# --- signature ---------------------------------------------------------------------------------


def test_a_request_signed_with_the_secret_is_accepted(platform):
    body = event_body(MENTION)
    assert platform.verify(signed(body), body)


def test_header_names_are_read_in_any_case(platform):
    body = event_body(MENTION)
    headers = {k.lower(): v for k, v in signed(body).items()}
    assert platform.verify(headers, body)


def test_a_request_signed_with_another_secret_is_refused(platform):
    body = event_body(MENTION)
    assert not platform.verify(signed(body, secret="not-the-secret"), body)


def test_a_request_older_than_five_minutes_is_refused(platform):
    body = event_body(MENTION)
    assert platform.verify(signed(body, at=time.time() - 290), body)
    assert not platform.verify(signed(body, at=time.time() - 310), body)


def test_a_request_dated_more_than_five_minutes_ahead_is_refused(platform):
    body = event_body(MENTION)
    assert not platform.verify(signed(body, at=time.time() + 310), body)


@pytest.mark.parametrize("missing", ["X-Slack-Signature", "X-Slack-Request-Timestamp"])
def test_a_request_missing_a_signature_header_is_refused(platform, missing):
    body = event_body(MENTION)
    headers = signed(body)
    del headers[missing]
    assert not platform.verify(headers, body)


@pytest.mark.parametrize(
    "header, value",
    [
        ("X-Slack-Request-Timestamp", "yesterday"),
        ("X-Slack-Request-Timestamp", ""),
        ("X-Slack-Signature", "v0=zz"),
        ("X-Slack-Signature", ""),
    ],
)
def test_a_request_with_a_garbled_header_is_refused(platform, header, value):
    body = event_body(MENTION)
    headers = signed(body) | {header: value}
    assert not platform.verify(headers, body)


def test_a_body_changed_after_signing_is_refused(platform):
    body = event_body(MENTION)
    headers = signed(body)
    assert not platform.verify(headers, body.replace(b"sev major", b"sev trivial"))


def test_a_body_that_is_not_utf8_is_refused_not_raised(platform):
    body = b"\xff\xfe" + event_body(MENTION)
    assert not platform.verify(signed(body), body)


def test_without_a_signing_secret_every_request_is_refused():
    platform = SlackPlatform(signing_secret="", token="", api_url="http://127.0.0.1:9/")
    body = event_body(MENTION)
    assert not platform.verify(signed(body, secret=""), body)


# --- the Events API ----------------------------------------------------------------------------


def test_url_verification_gives_the_challenge_to_answer_and_no_event(platform):
    body = json.dumps(
        {
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    assert (
        platform.url_challenge(JSON, body) == "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    )
    assert platform.parse(JSON, body) == []


def test_an_ordinary_event_has_no_challenge(platform):
    assert platform.url_challenge(JSON, event_body(MENTION)) is None


def test_a_mention_of_the_bot_is_a_command_without_the_mention(platform):
    [event] = platform.parse(JSON, event_body(MENTION, event_id="Ev0MENTION1"))
    assert event.kind == "command"
    assert event.text == "sev major"
    assert event.platform == "slack"
    assert event.dedup_key == "Ev0MENTION1"
    assert event.conversation == "C0LAN2Q65"
    assert event.actor == "U061F7AUR"
    assert event.occurred_at == datetime(2026, 1, 1, 9, 20, 0, 200, tzinfo=UTC)


def test_a_mention_written_with_a_name_and_a_colon_is_stripped_too(platform):
    mention = MENTION | {"text": "<@UBOT000001|incidentdesk>:  summary DB is down"}
    [event] = platform.parse(JSON, event_body(mention))
    assert event.text == "summary DB is down"


def test_a_retried_delivery_carries_the_same_key(platform):
    body = event_body(MENTION, event_id="Ev0RETRY")
    first = platform.parse(JSON, body)
    again = platform.parse(signed(body, **{"X-Slack-Retry-Num": "1"}) | JSON, body)
    assert [e.dedup_key for e in first] == [e.dedup_key for e in again] == ["Ev0RETRY"]


MESSAGE = {
    "type": "message",
    "channel": "C0LAN2Q65",
    "user": "U2147483697",
    "text": "Restarting the primary now",
    "ts": "1767259260.000300",
    "event_ts": "1767259260.000300",
    "channel_type": "channel",
}


def test_a_persons_message_in_a_channel_is_captured_with_its_text(platform):
    [event] = platform.parse(JSON, event_body(MESSAGE, event_id="Ev0MSG"))
    assert (event.kind, event.text, event.actor, event.message) == (
        "message",
        "Restarting the primary now",
        "U2147483697",
        "1767259260.000300",
    )
    assert event.dedup_key == "Ev0MSG"


def test_a_thread_reply_broadcast_to_the_channel_is_a_message(platform):
    reply = MESSAGE | {"subtype": "thread_broadcast", "thread_ts": "1767259200.000200"}
    assert [e.kind for e in platform.parse(JSON, event_body(reply))] == ["message"]


@pytest.mark.parametrize(
    "change",
    [
        {"bot_id": "B0000000001", "subtype": "bot_message"},
        {"bot_id": "B0000000001"},
        {"user": BOT},
        {"subtype": "channel_join", "text": "<@U2147483697> has joined the channel"},
        {"subtype": "message_changed", "message": {"text": "edited"}},
        {"subtype": "message_deleted", "deleted_ts": "1767259200.000200"},
        {"subtype": "channel_topic", "topic": "INC-2026-0042"},
        {"channel_type": "im"},
    ],
    ids=["bot_message", "bot", "ourselves", "join", "edit", "deletion", "topic", "direct"],
)
def test_notices_edits_and_bot_messages_are_not_captured(platform, change):
    assert platform.parse(JSON, event_body(MESSAGE | change)) == []


def test_a_bots_mention_of_the_bot_is_not_a_command(platform):
    assert platform.parse(JSON, event_body(MENTION | {"bot_id": "B0OTHER"})) == []


PIN = {
    "type": "pin_added",
    "user": "U2147483697",
    "channel_id": "C0LAN2Q65",
    "item": {
        "type": "message",
        "channel": "C0LAN2Q65",
        "created": 1767259500,
        "created_by": "U2147483697",
        "message": {
            "type": "message",
            "user": "U061F7AUR",
            "text": "Failover finished, errors back to normal",
            "ts": "1767259260.000300",
            "permalink": "https://example.slack.com/archives/C0LAN2Q65/p1767259260000300",
            "pinned_to": ["C0LAN2Q65"],
        },
    },
    "item_user": "U061F7AUR",
    "pin_count": 1,
    "pinned_info": {"channel": "C0LAN2Q65", "pinned_by": "U2147483697", "pinned_ts": 1767259500},
    "event_ts": "1767259500.000400",
}


def test_a_pin_carries_the_pinned_messages_text_author_and_time(platform):
    [event] = platform.parse(JSON, event_body(PIN, event_id="Ev0PIN"))
    assert event.kind == "pin"
    assert event.text == "Failover finished, errors back to normal"
    assert event.message == "1767259260.000300"
    assert event.conversation == "C0LAN2Q65"
    assert event.actor == "U2147483697"
    assert event.values == {
        "author": "U061F7AUR",
        "posted_at": "2026-01-01T09:21:00.000300+00:00",
        "pinned_by": "U2147483697",
    }


def test_an_unpin_names_the_message(platform):
    unpin = PIN | {"type": "pin_removed", "has_pins": False}
    [event] = platform.parse(JSON, event_body(unpin))
    assert (event.kind, event.message) == ("unpin", "1767259260.000300")


def test_a_pinned_file_gives_no_event(platform):
    pinned_file = PIN | {"item": {"type": "file", "file": {"id": "F0001"}}}
    assert platform.parse(JSON, event_body(pinned_file)) == []


REACTION = {
    "type": "reaction_added",
    "user": "U2147483697",
    "reaction": "pushpin",
    "item_user": "U061F7AUR",
    "item": {"type": "message", "channel": "C0LAN2Q65", "ts": "1767259260.000300"},
    "event_ts": "1767259560.000500",
}


def test_a_reaction_names_the_message_and_the_emoji(platform):
    [event] = platform.parse(JSON, event_body(REACTION))
    assert (event.kind, event.reaction, event.message, event.conversation) == (
        "reaction",
        "pushpin",
        "1767259260.000300",
        "C0LAN2Q65",
    )
    assert event.values == {"author": "U061F7AUR"}


def test_a_channel_rename_gives_the_new_name(platform):
    rename = {
        "type": "channel_rename",
        "channel": {"id": "C0LAN2Q65", "name": "inc-2026-0042-db-down", "created": 1767259000},
        "event_ts": "1767259600.000600",
    }
    [event] = platform.parse(JSON, event_body(rename))
    assert (event.kind, event.conversation, event.text) == (
        "conversation_renamed",
        "C0LAN2Q65",
        "inc-2026-0042-db-down",
    )


def test_an_event_we_do_not_use_gives_nothing(platform):
    joined = {"type": "member_joined_channel", "user": "U1", "channel": "C1", "event_ts": "1.0"}
    assert platform.parse(JSON, event_body(joined)) == []


# --- slash commands and interactions -----------------------------------------------------------

SLASH = {
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "team_id": "T0000000001",
    "team_domain": "example",
    "channel_id": "C2147483705",
    "channel_name": "general",
    "user_id": "U2147483697",
    "user_name": "steve",
    "command": "/incident",
    "text": "  Checkout fails for EU customers ",
    "api_app_id": "A0000000001",
    "response_url": "https://hooks.slack.com/commands/T0000000001/1234/abcd",
    "trigger_id": "13345224609.738474920.8088930838d88f008e0",
}


def test_the_slash_command_declares_with_its_title_and_trigger(platform):
    [event] = platform.parse(FORM, form_body(SLASH))
    assert event.kind == "declare"
    assert event.text == "Checkout fails for EU customers"
    assert event.actor == "U2147483697"
    assert event.conversation == ""  # answered privately, wherever it was typed
    assert event.values == {
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "command": "/incident",
        "channel": "C2147483705",
    }
    assert event.reply_to == "https://hooks.slack.com/commands/T0000000001/1234/abcd"
    assert event.dedup_key == "trigger:13345224609.738474920.8088930838d88f008e0"


def test_another_slash_command_is_refused_by_name(platform):
    with pytest.raises(ValueError, match="unknown slash command '/deploy'"):
        platform.parse(FORM, form_body(SLASH | {"command": "/deploy"}))


def test_a_form_is_recognised_without_a_content_type(platform):
    [event] = platform.parse({}, form_body(SLASH))
    assert event.kind == "declare"


SUBMISSION = {
    "type": "view_submission",
    "team": {"id": "T0000000001", "domain": "example"},
    "user": {"id": "U2147483697", "username": "steve", "name": "steve", "team_id": "T0000000001"},
    "api_app_id": "A0000000001",
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "trigger_id": "12466734323.1395872398.6c9ea8ef6e6b4c8b2c1f40ac0e6f1b8b",
    "view": {
        "id": "V0000000042",
        "team_id": "T0000000001",
        "type": "modal",
        "callback_id": "declare",
        "private_metadata": '{"channel": "C2147483705"}',
        "hash": "156772938.1827394",
        "blocks": [],
        "state": {
            "values": {
                "title": {"title": {"type": "plain_text_input", "value": "Checkout fails"}},
                "summary": {"summary": {"type": "plain_text_input", "value": None}},
                "severity": {
                    "severity": {
                        "type": "static_select",
                        "selected_option": {
                            "text": {"type": "plain_text", "text": "Major"},
                            "value": "major",
                        },
                    }
                },
                "lead": {"lead": {"type": "users_select", "selected_user": "U061F7AUR"}},
                "components": {
                    "components": {
                        "type": "multi_static_select",
                        "selected_options": [
                            {"text": {"type": "plain_text", "text": "API"}, "value": "api"},
                            {"text": {"type": "plain_text", "text": "Web"}, "value": "web"},
                        ],
                    }
                },
                "when": {
                    "date": {"type": "datepicker", "selected_date": "2026-11-29"},
                    "time": {"type": "timepicker", "selected_time": "21:40"},
                },
            }
        },
    },
    "response_urls": [],
    "is_enterprise_install": False,
}


def test_a_submitted_form_gives_its_values_by_block(platform):
    [event] = platform.parse(FORM, interaction_body(SUBMISSION))
    assert event.kind == "form_submit"
    assert event.actor == "U2147483697"
    assert event.values == {
        "title": "Checkout fails",
        "summary": "",
        "severity": "major",
        "lead": "U061F7AUR",
        "components": ["api", "web"],
        "when.date": "2026-11-29",
        "when.time": "21:40",
        "_form": "declare",
        "_metadata": '{"channel": "C2147483705"}',
        "_view": "V0000000042",
        "trigger_id": "12466734323.1395872398.6c9ea8ef6e6b4c8b2c1f40ac0e6f1b8b",
    }
    assert event.dedup_key == "trigger:12466734323.1395872398.6c9ea8ef6e6b4c8b2c1f40ac0e6f1b8b"


BUTTON = {
    "type": "block_actions",
    "user": {"id": "U2147483697", "username": "steve", "team_id": "T0000000001"},
    "api_app_id": "A0000000001",
    "token": "gIkuvaNzQIHg97ATvDxqgjtO",
    "container": {
        "type": "message",
        "message_ts": "1767259200.000200",
        "channel_id": "C0INCIDENTS",
        "is_ephemeral": False,
    },
    "trigger_id": "4171754484160.3923618272067.4c182ee4830c026dd97ead2642c77366",
    "team": {"id": "T0000000001", "domain": "example"},
    "channel": {"id": "C0INCIDENTS", "name": "incidents"},
    "message": {"type": "message", "ts": "1767259200.000200", "text": "INC-2026-0042"},
    "response_url": "https://hooks.slack.com/actions/T0000000001/5678/efgh",
    "actions": [
        {
            "action_id": "take_lead",
            "block_id": "incident:INC-2026-0042",
            "text": {"type": "plain_text", "text": "Take the lead"},
            "value": "INC-2026-0042",
            "type": "button",
            "action_ts": "1767259800.123456",
        }
    ],
}


def test_a_pressed_button_names_its_action_value_and_message(platform):
    [event] = platform.parse(FORM, interaction_body(BUTTON))
    assert event.kind == "button"
    assert event.conversation == "C0INCIDENTS"
    assert event.message == "1767259200.000200"
    assert event.values == {
        "action": "take_lead",
        "block": "incident:INC-2026-0042",
        "value": "INC-2026-0042",
        "trigger_id": "4171754484160.3923618272067.4c182ee4830c026dd97ead2642c77366",
    }
    assert event.reply_to == "https://hooks.slack.com/actions/T0000000001/5678/efgh"
    assert event.dedup_key.startswith("trigger:4171754484160.")


def test_a_closed_form_gives_nothing(platform):
    closed = {"type": "view_closed", "user": {"id": "U1"}, "view": {"id": "V1"}}
    assert platform.parse(FORM, interaction_body(closed)) == []


# --- malformed payloads ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers, body, reason",
    [
        (JSON, b"{not json", "the event payload is not valid JSON"),
        (JSON, b"[1, 2]", "the event payload is not a JSON object"),
        (JSON, b"{}", "the payload has no type"),
        (JSON, b'{"type": "block_party"}', "unknown payload type 'block_party'"),
        (JSON, b'{"type": "event_callback", "event_id": "Ev1"}', "the event_callback has no event"),
        (
            JSON,
            b'{"type": "event_callback", "event": {"type": "message"}}',
            "the event_callback has no event_id",
        ),
        (
            JSON,
            event_body({k: v for k, v in MENTION.items() if k != "channel"}),
            "app_mention has no channel",
        ),
        (JSON, event_body(MESSAGE | {"ts": "soon"}), "the message has no valid timestamp"),
        (
            JSON,
            event_body(PIN | {"item": {"type": "message"}}),
            "the pin_added has no item.message",
        ),
        (
            JSON,
            event_body({"type": "reaction_added", "user": "U1"}),
            "the reaction_added has no item",
        ),
        (JSON, b'{"type": "url_verification"}', "the url_verification payload has no challenge"),
        (FORM, b"text=hello", "the form has neither a command nor a payload"),
        (FORM, b"\xff\xfe=1", "the form is not UTF-8"),
        (FORM, form_body({"payload": "{oops"}), "the interaction payload is not valid JSON"),
        (
            FORM,
            form_body({k: v for k, v in SLASH.items() if k != "user_id"}),
            "the slash command has no user_id",
        ),
        (
            FORM,
            interaction_body({"type": "dialog_submission"}),
            "unknown interaction type 'dialog_submission'",
        ),
        (FORM, interaction_body({"user": {"id": "U1"}}), "the interaction has no type"),
        (FORM, interaction_body(SUBMISSION | {"view": {"id": "V1"}}), "has no state.values"),
        (
            FORM,
            interaction_body({k: v for k, v in SUBMISSION.items() if k != "user"}),
            "the view_submission has no user",
        ),
        (FORM, interaction_body(BUTTON | {"actions": []}), "the block_actions has no actions"),
    ],
)
def test_a_malformed_payload_raises_a_value_error_naming_the_problem(
    platform, headers, body, reason
):
    with pytest.raises(ValueError, match=reason.replace("(", r"\(").replace(".", r"\.")):
        platform.parse(headers, body)

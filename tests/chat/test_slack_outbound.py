"""Slack's Web API as the platform calls it: each call lands at the stand-in (a real HTTP server
on loopback) with the method, the bearer token and the arguments Slack expects; Slack's
refusals become `ChatError` with Slack's code, and HTTP 429 becomes `RateLimited`."""

import time

import pytest

from incidentdesk.chat.platforms.base import (
    ChatError,
    ChatUser,
    Form,
    FormField,
    Message,
    PostedMessage,
    RateLimited,
)
from incidentdesk.chat.platforms.slack import SlackIdentity, SlackPlatform
from tests.chat.slack_fixtures import SECRET, TOKEN

# The stand-in and the platform pointed at it (tests/chat/slack_fixtures.py).

HEADLINE = Message(
    text="INC-2026-0042 Checkout fails: major, investigating",
    rich={"blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "*INC-2026-0042*"}}]},
)


def test_a_post_lands_in_the_channel_with_its_blocks_and_the_bot_token(slack, standin):
    posted = slack.post(slack.incidents_channel, HEADLINE, key="announce:42")
    [call] = standin.calls_to("chat.postMessage")
    assert call.authorization == f"Bearer {TOKEN}"
    assert call.args["channel"] == slack.incidents_channel
    assert call.args["text"] == HEADLINE.text
    assert call.args["blocks"] == HEADLINE.rich["blocks"]
    assert posted.conversation == slack.incidents_channel
    assert posted.id in standin.channels[slack.incidents_channel].messages


def test_plain_text_is_posted_without_blocks(slack, standin):
    slack.post(slack.incidents_channel, Message(text="hello"), key="k")
    assert "blocks" not in standin.calls_to("chat.postMessage")[0].args


def test_an_update_rewrites_the_posted_message_in_place(slack, standin):
    posted = slack.post(slack.incidents_channel, HEADLINE, key="announce:42")
    slack.update(posted, Message(text="INC-2026-0042 Checkout fails: major, resolved"))
    [call] = standin.calls_to("chat.update")
    assert (call.args["channel"], call.args["ts"]) == (posted.conversation, posted.id)
    messages = standin.channels[posted.conversation].messages
    assert messages[posted.id]["text"] == "INC-2026-0042 Checkout fails: major, resolved"
    assert len(messages) == 1


def test_updating_a_message_that_is_gone_is_a_chat_error(slack):
    with pytest.raises(ChatError) as refused:
        slack.update(PostedMessage(slack.incidents_channel, "1.000"), Message(text="x"))
    assert refused.value.code == "message_not_found"


def test_a_new_conversation_gets_a_valid_name_and_its_topic(slack, standin):
    made = slack.create_conversation(
        "INC-2026-0042 Checkout fails for EU customers!", topic="https://desk.example/i/42"
    )
    assert made.name == "inc-2026-0042-checkout-fails-for-eu-customers"
    [create] = standin.calls_to("conversations.create")
    assert create.args["name"] == made.name
    [topic] = standin.calls_to("conversations.setTopic")
    assert (topic.args["channel"], topic.args["topic"]) == (made.id, "https://desk.example/i/42")


def test_a_taken_name_is_tried_again_with_a_suffix(slack, standin):
    standin.add_channel("inc-2026-0042-db-down")
    standin.add_channel("inc-2026-0042-db-down-2", archived=True)
    made = slack.create_conversation("INC-2026-0042 DB down", topic="")
    assert made.name == "inc-2026-0042-db-down-3"
    names = [c.args["name"] for c in standin.calls_to("conversations.create")]
    assert names == ["inc-2026-0042-db-down", "inc-2026-0042-db-down-2", "inc-2026-0042-db-down-3"]
    assert standin.calls_to("conversations.setTopic") == []


def test_names_taken_again_and_again_end_in_name_taken(slack, standin):
    standin.fail("conversations.create", "name_taken", times=50)
    with pytest.raises(ChatError) as refused:
        slack.create_conversation("DB down", topic="")
    assert refused.value.code == "name_taken"
    assert len(standin.calls_to("conversations.create")) == 10


def test_rename_sends_a_valid_name(slack, standin):
    made = slack.create_conversation("INC-1 draft", topic="")
    slack.rename_conversation(made.id, "INC-1 Payments: card declines")
    assert standin.channels[made.id].name == "inc-1-payments-card-declines"


def test_archive_and_unarchive_ignore_the_state_already_there(slack, standin):
    made = slack.create_conversation("INC-7", topic="")
    slack.archive_conversation(made.id)
    slack.archive_conversation(made.id)  # already_archived: nothing to do
    assert standin.channels[made.id].archived
    slack.unarchive_conversation(made.id)
    slack.unarchive_conversation(made.id)  # not_archived: nothing to do
    assert not standin.channels[made.id].archived
    assert [c.method for c in standin.calls[-4:]] == [
        "conversations.archive",
        "conversations.archive",
        "conversations.unarchive",
        "conversations.unarchive",
    ]


def test_posting_to_an_archived_channel_is_is_archived(slack, standin):
    made = slack.create_conversation("INC-8", topic="")
    slack.archive_conversation(made.id)
    with pytest.raises(ChatError) as refused:
        slack.post(made.id, Message(text="late"), key="k")
    assert refused.value.code == "is_archived"


def test_invite_skips_people_already_in_the_channel(slack, standin):
    for user in ("U1", "U2", "U3"):
        standin.add_user(user, name=user.lower())
    made = slack.create_conversation("INC-9", topic="")
    slack.invite(made.id, ["U1"])
    slack.invite(made.id, ["U1", "U2", "U3", "U2"])
    assert standin.channels[made.id].members >= {"U1", "U2", "U3"}


def test_invite_sends_large_groups_in_chunks(slack, standin):
    users = [f"U{n:05d}" for n in range(250)]
    for user in users:
        standin.add_user(user, name=user.lower())
    made = slack.create_conversation("INC-10", topic="")
    slack.invite(made.id, users)
    sizes = [len(c.args["users"].split(",")) for c in standin.calls_to("conversations.invite")]
    assert sizes == [100, 100, 50]
    assert standin.channels[made.id].members >= set(users)


def test_inviting_someone_slack_does_not_know_is_a_chat_error(slack, standin):
    made = slack.create_conversation("INC-11", topic="")
    with pytest.raises(ChatError) as refused:
        slack.invite(made.id, ["UNOBODY"])
    assert refused.value.code == "user_not_found"


def test_a_direct_message_opens_the_conversation_then_posts(slack, standin):
    standin.add_user("U061F7AUR", name="ana")
    posted = slack.direct_message("U061F7AUR", Message(text="You are the lead of INC-2026-0042"))
    [opened] = standin.calls_to("conversations.open")
    assert opened.args["users"] == "U061F7AUR"
    [call] = standin.calls_to("chat.postMessage")
    assert call.args["channel"] == posted.conversation
    assert posted.conversation.startswith("D")


def test_a_user_gives_the_name_and_the_email_when_slack_has_one(slack, standin):
    standin.add_user("U1", name="ana", email="ana@example.com")
    standin.add_user("U2", name="bob")
    standin.add_user("U3", name="cy", email="cy@example.com", is_email_confirmed=False)
    assert slack.user("U1") == ChatUser(id="U1", name="ana", email="ana@example.com")
    assert slack.user("U2") == ChatUser(id="U2", name="bob", email="")
    assert slack.user("U3").email == ""
    assert standin.calls_to("users.info")[0].args == {"user": "U1"}


def test_a_form_opens_with_the_trigger_as_a_modal(slack, standin):
    form = Form(id="declare", title="Declare", fields=(FormField("title", "Title"),))
    view_id = slack.open_form("13345224609.738474920.8088930838d88f008e0", form)
    [call] = standin.calls_to("views.open")
    assert call.args["trigger_id"] == "13345224609.738474920.8088930838d88f008e0"
    view = call.args["view"]
    assert (view["type"], view["callback_id"], view["title"]["text"]) == (
        "modal",
        "declare",
        "Declare",
    )
    assert [block["block_id"] for block in view["blocks"]] == ["title"]
    assert view_id.startswith("V")


def test_auth_test_says_who_the_token_belongs_to(slack):
    identity = slack.auth_test()
    assert isinstance(identity, SlackIdentity)
    assert (identity.user_id, identity.team) == ("UBOT000001", "IncidentDesk test")


def test_a_wrong_token_is_invalid_auth(standin):
    platform = SlackPlatform(signing_secret=SECRET, token="xoxb-wrong", api_url=standin.url)
    with pytest.raises(ChatError) as refused:
        platform.auth_test()
    assert refused.value.code == "invalid_auth"


@pytest.mark.parametrize(
    "method, error, call",
    [
        ("chat.postMessage", "channel_not_found", lambda s: s.post("C404", Message("x"), key="k")),
        (
            "chat.postMessage",
            "not_in_channel",
            lambda s: s.post(s.incidents_channel, Message("x"), key="k"),
        ),
        ("conversations.create", "name_taken", None),
        (
            "conversations.archive",
            "is_archived",
            lambda s: s.archive_conversation(s.incidents_channel),
        ),
        (
            "views.open",
            "expired_trigger_id",
            lambda s: s.open_form("1.2.3", Form(id="f", title="F", fields=())),
        ),
    ],
)
def test_slack_errors_become_chat_errors_with_slacks_code(slack, standin, method, error, call):
    if call is None:  # a name taken whatever the suffix
        standin.fail(method, error, times=20)
        call = lambda s: s.create_conversation("x", topic="")  # noqa: E731
    else:
        standin.fail(method, error)
    with pytest.raises(ChatError) as refused:
        call(slack)
    assert refused.value.code == error
    assert not isinstance(refused.value, RateLimited)


def test_the_bot_outside_a_channel_is_not_in_channel(slack, standin):
    outside = standin.add_channel("elsewhere")
    with pytest.raises(ChatError) as refused:
        slack.post(outside.id, Message("x"), key="k")
    assert refused.value.code == "not_in_channel"


def test_http_429_is_rate_limited_with_retry_after_and_does_not_wait(slack, standin):
    standin.rate_limit("chat.postMessage", retry_after=17)
    started = time.monotonic()
    with pytest.raises(RateLimited) as limited:
        slack.post(slack.incidents_channel, Message("x"), key="k")
    assert time.monotonic() - started < 2
    assert limited.value.retry_after == 17
    assert limited.value.code == "ratelimited"
    assert len(standin.calls_to("chat.postMessage")) == 1  # no retry inside the call
    slack.post(slack.incidents_channel, Message("x"), key="k")  # the next call goes through


def test_rate_limits_reach_every_method(slack, standin):
    standin.rate_limit("conversations.invite", retry_after=3)
    made = slack.create_conversation("INC-12", topic="")
    standin.add_user("U1", name="ana")
    with pytest.raises(RateLimited) as limited:
        slack.invite(made.id, ["U1"])
    assert limited.value.retry_after == 3


def test_the_platform_from_settings_calls_the_configured_api_with_the_bot_token(settings, standin):
    settings.SLACK_API_URL = standin.url
    settings.SLACK_BOT_TOKEN = TOKEN
    settings.SLACK_SIGNING_SECRET = SECRET
    settings.SLACK_INCIDENTS_CHANNEL = "C0INCIDENTS"
    platform = SlackPlatform.from_settings()
    assert platform.incidents_channel == "C0INCIDENTS"
    assert platform.auth_test().user_id == standin.bot_user
    assert standin.calls_to("auth.test")[0].authorization == f"Bearer {TOKEN}"


def test_slacks_own_api_is_the_default(settings):
    assert settings.SLACK_API_URL == "https://slack.com/api/"

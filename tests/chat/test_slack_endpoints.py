"""Slack's three Request URLs: a request is checked on its raw body (401, nothing written),
read (400 with the reason, nothing written), stored once and acknowledged with an empty 200;
the worker acts on it after the commit. A submitted form is answered in the request, Slack's
way. Payload shapes are Slack's documented ones, signed with a test secret."""

import json
import time

import pytest

from incidentdesk.chat import handling
from incidentdesk.chat.models import InboundRecord, IncidentConversation
from incidentdesk.chat.views.inbound import MAX_BODY
from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from tests.chat.slack_fixtures import FORM, JSON, event_body, form_body, interaction_body, signed

pytestmark = pytest.mark.django_db

EVENTS = "/chat/slack/events"
COMMANDS = "/chat/slack/commands"
INTERACTIONS = "/chat/slack/interactions"


@pytest.fixture
def deliver(client, django_capture_on_commit_callbacks):
    """`deliver(url, body, headers)`: POST as Slack does (signed unless headers are given), and
    run the after-commit work (the worker's task, inline in tests) as a real commit would."""

    def post(url, body, content_type=JSON, headers=None):
        headers = signed(body) if headers is None else headers
        with django_capture_on_commit_callbacks(execute=True):
            return client.generic(
                "POST",
                url,
                body,
                content_type=content_type["Content-Type"],
                headers={k: v for k, v in headers.items() if k.lower() != "content-type"},
            )

    return post


def mention(text, *, channel="C0LAN2Q65", user="UADA", ts="1767259200.000200"):
    return {
        "type": "app_mention",
        "user": user,
        "text": f"<@UBOT000001> {text}",
        "ts": ts,
        "channel": channel,
        "event_ts": ts,
    }


@pytest.fixture
def incident_channel(configured, standin, declare):
    incident = declare()
    channel = standin.add_channel("inc-checkout", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    return incident, channel


def replies(standin, channel):
    return [
        c.args["text"] for c in standin.calls_to("chat.postMessage") if c.args["channel"] == channel
    ]


# --- end to end ---------------------------------------------------------------------------


def test_a_command_to_the_bot_is_acknowledged_empty_and_changes_the_incident(
    deliver, incident_channel, ada, standin
):
    incident, channel = incident_channel
    response = deliver(EVENTS, event_body(mention("sev trivial", channel=channel.id)))
    assert (response.status_code, response.content) == (200, b"")
    incident.refresh_from_db()
    assert incident.severity.key == "trivial"
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE).get()
    assert (entry.source, entry.author) == ("chat", ada)
    record = InboundRecord.objects.get()
    assert (record.kind, record.dedup_key, record.error) == ("command", "Ev0PV52K25", "")
    assert record.processed_at is not None
    assert len(replies(standin, channel.id)) == 1


@pytest.fixture
def queue_down():
    """The task queue unreachable for real: its storage swapped for Redis on a closed port."""
    from huey import PriorityRedisHuey
    from huey.contrib.djhuey import HUEY

    saved = (HUEY.storage, HUEY.immediate)
    HUEY.immediate = False
    HUEY.storage = PriorityRedisHuey("down", port=1, socket_connect_timeout=0.5).storage
    yield saved
    HUEY.storage, HUEY.immediate = saved


def test_an_event_arriving_while_the_queue_is_down_is_acknowledged_and_acted_on_by_the_sweep(
    deliver, incident_channel, ada, standin, queue_down, django_capture_on_commit_callbacks
):
    from huey.contrib.djhuey import HUEY

    from incidentdesk.chat import tasks

    incident, channel = incident_channel
    response = deliver(EVENTS, event_body(mention("sev trivial", channel=channel.id)))
    assert response.status_code == 200
    HUEY.storage, HUEY.immediate = queue_down  # the queue is back
    record = InboundRecord.objects.get()
    assert record.processed_at is None
    incident.refresh_from_db()
    assert incident.severity.key == "major"
    InboundRecord.objects.filter(pk=record.pk).update(
        received_at=record.received_at.replace(year=2020)
    )
    with django_capture_on_commit_callbacks(execute=True):
        tasks.chat_inbound_sweep.call_local()
    incident.refresh_from_db()
    assert incident.severity.key == "trivial"


def test_a_retried_event_is_acknowledged_stored_once_and_acted_on_once(
    deliver, incident_channel, ada, standin
):
    incident, channel = incident_channel
    body = event_body(mention("summary Card payments fail", channel=channel.id))
    first = deliver(EVENTS, body)
    retry = deliver(EVENTS, body, headers=signed(body, **{"X-Slack-Retry-Num": "1"}))
    again = deliver(
        EVENTS,
        body,
        headers=signed(body, **{"X-Slack-Retry-Num": "2", "X-Slack-Retry-Reason": "http_timeout"}),
    )
    assert [r.status_code for r in (first, retry, again)] == [200, 200, 200]
    assert InboundRecord.objects.count() == 1
    assert len(replies(standin, channel.id)) == 1
    changes = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE)
    assert changes.count() == 1


def test_the_slash_command_is_acknowledged_with_an_empty_200_and_stored_as_a_declaration(
    deliver, configured
):
    body = form_body(
        {
            "token": "gIkuvaNzQIHg97ATvDxqgjtO",
            "team_id": "T0000000001",
            "channel_id": "C2147483705",
            "user_id": "U2147483697",
            "user_name": "steve",
            "command": "/incident",
            "text": "Checkout fails for EU customers",
            "response_url": "https://hooks.slack.com/commands/T0000000001/1234/abcd",
            "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        }
    )
    response = deliver(COMMANDS, body, content_type=FORM)
    assert (response.status_code, response.content) == (200, b"")
    record = InboundRecord.objects.get()
    assert (record.kind, record.event.text) == ("declare", "Checkout fails for EU customers")


def test_url_verification_is_answered_with_its_challenge(deliver, configured):
    body = json.dumps(
        {
            "token": "Jhj5dZrVaK7ZwHHjRyZWjbDl",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    ).encode()
    response = deliver(EVENTS, body)
    assert response.status_code == 200
    assert response.content.decode().strip() == (
        "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    )
    assert not InboundRecord.objects.exists()


# --- refused requests ---------------------------------------------------------------------

BODY = event_body(mention("sev trivial"))


@pytest.mark.parametrize(
    "headers",
    [
        pytest.param({}, id="unsigned"),
        pytest.param(signed(BODY, secret="not-our-secret"), id="mis-signed"),
        pytest.param(signed(BODY, at=time.time() - 6 * 60), id="six-minutes-old"),
        pytest.param(signed(event_body(mention("sev critical"))), id="replayed-changed-body"),
        pytest.param(
            {"X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": "v0=00"}, id="garbled"
        ),
    ],
)
def test_a_request_not_signed_by_slack_within_five_minutes_is_refused_and_nothing_written(
    deliver, configured, standin, headers
):
    response = deliver(EVENTS, BODY, headers=headers)
    assert response.status_code == 401
    assert "signature" in response.content.decode()
    assert not InboundRecord.objects.exists()
    assert standin.calls == []


@pytest.mark.parametrize(
    "url, body, content_type, reason",
    [
        (EVENTS, b"{not json", JSON, "the event payload is not valid JSON"),
        (EVENTS, b'{"type": "event_callback", "event_id": "Ev1"}', JSON, "has no event"),
        (
            EVENTS,
            event_body({"type": "app_mention", "text": "<@UBOT000001> sev 1", "ts": "1.2"}),
            JSON,
            "the app_mention has no channel",
        ),
        (COMMANDS, form_body({"text": "hello"}), FORM, "neither a command nor a payload"),
        (INTERACTIONS, form_body({"payload": "{oops"}), FORM, "not valid JSON"),
        (
            INTERACTIONS,
            interaction_body({"type": "view_submission", "trigger_id": "1.2.3"}),
            FORM,
            "the view_submission has no view",
        ),
    ],
)
def test_a_payload_slack_would_not_send_is_refused_with_its_reason_and_nothing_stored(
    deliver, configured, url, body, content_type, reason
):
    response = deliver(url, body, content_type=content_type)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not InboundRecord.objects.exists()


def test_an_id_longer_than_the_store_takes_is_refused_with_400(deliver, configured):
    body = event_body(mention("help"), event_id="Ev" + "x" * 300)
    response = deliver(EVENTS, body)
    assert response.status_code == 400
    assert "dedup_key" in response.content.decode()
    assert not InboundRecord.objects.exists()


def test_a_body_over_the_limit_is_refused_unread(deliver, configured):
    body = event_body(mention("say " + "x" * MAX_BODY))
    response = deliver(EVENTS, body)
    assert response.status_code == 413
    assert not InboundRecord.objects.exists()


def test_without_slack_configured_the_endpoints_are_not_found(deliver):
    for url in (EVENTS, COMMANDS, INTERACTIONS):
        response = deliver(url, BODY)
        assert response.status_code == 404
    assert not InboundRecord.objects.exists()


def test_the_endpoints_take_only_post(client, configured):
    for url in (EVENTS, COMMANDS, INTERACTIONS):
        assert client.get(url).status_code == 405


# --- forms: answered in the request -------------------------------------------------------

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
        "callback_id": "endpoint_test_form",
        "private_metadata": "",
        "hash": "156772938.1827394",
        "blocks": [],
        "state": {
            "values": {
                "title": {"title": {"type": "plain_text_input", "value": "Checkout fails"}},
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

# What the test form's handler was given, and what it answers ({} = accepted).
taken: list[dict] = []


def _endpoint_test_form(event):
    taken.append(dict(event.values))
    if event.values["title"] == "refuse":
        raise ValidationError("must say what is broken", field="title")
    if event.values["title"] == "late":
        return {"when.time": "is in the future"}
    if event.values["title"] == "boom":
        raise RuntimeError("a bug")
    return {}


@pytest.fixture
def test_form():
    # A form as a domain would register it (the declare form is registered the same way).
    handling.on_form("endpoint_test_form", _endpoint_test_form)
    taken.clear()
    return taken


def submission(title, form="endpoint_test_form", trigger="12466734323.1395872398.6c9e"):
    payload = json.loads(json.dumps(SUBMISSION))
    payload["view"]["callback_id"] = form
    payload["view"]["state"]["values"]["title"]["title"]["value"] = title
    payload["trigger_id"] = trigger
    return interaction_body(payload)


def test_an_accepted_form_closes_the_modal_and_its_record_is_done(deliver, configured, test_form):
    response = deliver(INTERACTIONS, submission("Checkout fails"), content_type=FORM)
    assert (response.status_code, response.content) == (200, b"")
    assert test_form and test_form[0]["title"] == "Checkout fails"
    record = InboundRecord.objects.get()
    assert (record.kind, record.error) == ("form_submit", "")
    assert record.processed_at is not None


def test_a_refused_field_is_shown_next_to_its_block(deliver, configured, test_form):
    response = deliver(INTERACTIONS, submission("refuse"), content_type=FORM)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["title"]
    assert answer["errors"]["title"] == "Must say what is broken."
    record = InboundRecord.objects.get()
    assert record.processed_at is not None and "must say what is broken" in record.error.lower()


def test_an_error_on_one_input_of_a_block_goes_to_that_block(deliver, configured, test_form):
    response = deliver(INTERACTIONS, submission("late"), content_type=FORM)
    assert response.json()["errors"] == {"when": "is in the future"}


@pytest.mark.parametrize("title, form", [("boom", "endpoint_test_form"), ("x", "retired_form")])
def test_a_form_that_cannot_be_taken_is_answered_on_its_first_block_never_with_a_500(
    deliver, configured, test_form, title, form
):
    response = deliver(INTERACTIONS, submission(title, form=form), content_type=FORM)
    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors" and list(answer["errors"]) == ["title"]
    assert InboundRecord.objects.get().error


def test_a_form_delivered_twice_is_taken_once(deliver, configured, test_form):
    first = deliver(INTERACTIONS, submission("Checkout fails"), content_type=FORM)
    second = deliver(INTERACTIONS, submission("Checkout fails"), content_type=FORM)
    assert [first.content, second.content] == [b"", b""]
    assert len(test_form) == 1
    assert InboundRecord.objects.count() == 1

"""Fixtures for the Slack platform: the Web API stand-in on loopback, a `SlackPlatform` pointed
at it, and requests signed the way Slack signs them (written here from Slack's description of
the v0 signature, not with the library the platform uses, so the check is tested, not mirrored).

Import the fixtures into a test module: `from tests.chat.slack_fixtures import slack, standin`.
"""

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from incidentdesk.chat.platforms.slack import SlackPlatform
from tests.chat.slack_standin import SlackStandin

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
TOKEN = "xoxb-17653672481-19874698323-pdFZKVeTuE8sk7oOcBrzbqgy"


@pytest.fixture
def standin():
    server = SlackStandin(token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def slack(standin) -> SlackPlatform:
    incidents = standin.add_channel("incidents", members=(standin.bot_user,))
    return SlackPlatform(
        signing_secret=SECRET, token=TOKEN, api_url=standin.url, incidents_channel=incidents.id
    )


def signed(body: bytes, *, secret: str = SECRET, at: float | None = None, **headers) -> dict:
    """The headers Slack sends with `body`: its time and `v0=` HMAC-SHA256 signature."""
    timestamp = str(int(time.time() if at is None else at))
    base = b"v0:" + timestamp.encode() + b":" + body
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": timestamp, "X-Slack-Signature": f"v0={digest}", **headers}


def event_body(event: dict, *, event_id: str = "Ev0PV52K25", bot_user: str = "UBOT000001") -> bytes:
    """An Events API `event_callback` wrapping `event`, as Slack sends it."""
    return json.dumps(
        {
            "token": "XXYYZZ",
            "team_id": "T0000000001",
            "api_app_id": "A0000000001",
            "event": event,
            "type": "event_callback",
            "authorizations": [
                {
                    "enterprise_id": None,
                    "team_id": "T0000000001",
                    "user_id": bot_user,
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
            "event_id": event_id,
            "event_time": 1767259200,
            "event_context": "4-eyJldCI6ImFwcF9tZW50aW9uIn0",
        }
    ).encode()


JSON = {"Content-Type": "application/json"}
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def form_body(fields: dict) -> bytes:
    return urlencode(fields).encode()


def interaction_body(payload: dict) -> bytes:
    return urlencode({"payload": json.dumps(payload)}).encode()

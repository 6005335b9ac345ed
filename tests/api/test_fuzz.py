"""Random JSON at the write endpoints never gives a server error."""

import json
import os

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

FIELDS = [
    "title", "severity", "kind", "summary", "impact", "security", "criteria", "criteria_reason",
    "components", "users_affected_count", "users_affected_description", "detection",
    "reported_by", "report_medium", "cause_change_url", "fix_change_urls", "tracker_url",
    "call_url", "chat_url", "started_at", "detected_at", "acknowledged_at", "mitigated_at",
    "resolved_at", "unknown_field",
]  # fmt: skip
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "critical", "sev1", "1", "live", "retrospective", "security", "immediate_response",
            "2026-01-01T10:00:00Z", "2026-01-01T10:00:00", "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", 2**31, "sev-1",
            "https://example.com/x", "x" * 201, "\x00", "proactive", "email",
        ]
    )
)  # fmt: skip
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4), max_leaves=8)
random_dicts = st.dictionaries(st.sampled_from(FIELDS), values, max_size=8)
VALID = {"title": "Fuzzed", "severity": "major", "criteria": ["security"]}
# Random bodies, and valid ones with a few fields changed at random, to get past the first check.
tweaks = st.dictionaries(st.sampled_from(FIELDS[3:]), values, max_size=2)
bodies = random_dicts | values | tweaks.map(lambda extra: {**VALID, **extra})
FUZZ = settings(
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", "50")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(body=bodies)
def test_declaring_with_random_json_never_fails_on_the_server(rita, body):
    response = rita.call("POST", "/incidents", raw=json.dumps(body))
    event(f"status {response.status_code}")
    assert response.status_code < 500, (body, response.content)
    assert response.status_code in (201, 400, 404, 409, 422), response.content
    if response.status_code != 201:
        assert isinstance(response.json_body["detail"], str)


@FUZZ
@given(
    body=st.dictionaries(st.sampled_from([*FIELDS, "declared_at", "closed_at"]), values, max_size=6)
)
def test_patching_with_random_json_never_fails_on_the_server(rita, incident, body):
    response = rita.call("PATCH", f"/incidents/{incident.reference}", raw=json.dumps(body))
    assert response.status_code < 500, (body, response.content)


KEYWORDS = [
    "summary", "impact", "sev", "status", "lead", "scribe", "comms", "assign", "action",
    "decision", "note", "resolve", "close", "help", "NOTE", "Sev",
]  # fmt: skip
commands = st.text(max_size=60) | st.builds(
    lambda k, a: f"{k} {a}", st.sampled_from(KEYWORDS), st.text(max_size=40)
)


@FUZZ
@given(text=commands)
def test_random_commands_never_fail_on_the_server(rita, incident, text):
    response = rita.call("POST", f"/incidents/{incident.reference}/commands", {"text": text})
    assert response.status_code < 500, (text, response.content)


@pytest.mark.parametrize(
    "path",
    [
        "/incidents/%00",
        "/incidents?q=%00",
        "/incidents?severity=%00&component=%00",
        "/incidents?page=0",
        "/incidents?page=abc",
        "/incidents/x/timeline?kind=%00",
        "/incidents/x/roles",
    ],
)
def test_odd_reads_never_fail_on_the_server(rita, incident, path):
    response = rita.call("GET", path.replace("/x/", f"/{incident.reference}/"))
    assert response.status_code < 500, response.content

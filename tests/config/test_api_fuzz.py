"""Random and hostile input at the API never gives a server error.

Write endpoints get random JSON (and valid bodies with fields changed); read endpoints get odd
query strings. Any answer is below 500; a refused write is a 4xx JSON naming the field and leaves
the database as it was."""

import json
import os
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlencode

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, Incident, TimelineEntry
from incidentdesk.incidents.services import incident_resolve
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.postmortems.models import (
    Feedback,
    Postmortem,
    RootCauseMeeting,
    TaxonomyTerm,
    WentWell,
)
from incidentdesk.postmortems.services import postmortem_edit, postmortem_review, postmortem_start
from tests.factories import ComponentFactory

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


# Postmortems -------------------------------------------------------------------------------

WEB = ActionSource.WEB
PM = "/incidents/{ref}/postmortem"
# The rows a postmortem write may touch: a refused request must leave them all as they were.
WATCHED = (
    Incident,
    TimelineEntry,
    ActionItem,
    Postmortem,
    Postmortem.reviewers.through,
    TaxonomyTerm,
    WentWell,
    RootCauseMeeting,
    RootCauseMeeting.attendees.through,
    Feedback,
    OutboxEvent,
)


def last_sunday(year: int, month: int) -> date:
    last = date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


# Valid dates move with the calendar: a follow-up may not be due in the past, and a meeting is
# set within a year before and two years after today.
# A whole hour of a day a week ahead: test ids made from it must be the same in every xdist
# worker, so it cannot carry the seconds of the moment each one collected.
SOON = datetime.combine(timezone.localdate() + timedelta(days=7), time(10, 0), tzinfo=UTC)
SPRING_FORWARD = f"{last_sunday(SOON.year + 1, 3)}T02:30:00"  # skipped in Europe/Paris
FALL_BACK = f"{last_sunday(SOON.year + 1, 10)}T02:30:00"  # passed twice in Europe/Paris
DATES = [
    SOON.date().isoformat(), "2026-02-30", "2026-13-01", "0001-01-01", "9999-12-31",
    "0000-01-01", "10000-01-01", SOON.strftime("%Y%m%d"), "2026-W10-1", "2026-03-01T10:00:00Z",
    "yesterday", "", " ", "\x00", "2026-03-01\x00", "x" * 5000, 0, -1, 2**31, 2**63, 1.5,
]  # fmt: skip
MOMENTS = [
    SOON.isoformat(), SOON.replace(tzinfo=None).isoformat(), f"{SOON:%Y-%m-%d %H:%M}",
    SPRING_FORWARD, FALL_BACK, SOON.date().isoformat(), "9999-12-31T23:59:59Z",
    "9999-12-31T23:59:59", "9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00Z",
    "0001-01-01T00:00:00", "0001-01-01T00:00:00+14:00", "2026-02-30T10:00:00Z",
    "2026-03-04T25:00:00Z", "2026-03-04T14:00:00+99:00", "\x00", "x" * 5000, 0, -1, 2**31,
    2**63, 1e300,
]  # fmt: skip
TEXTS = ["", " ", "ok", "\x00", "a\x00b", "x" * 201, "x" * 2001, "x" * 5001, "x" * 50_001]
HANDLES = ["rita", "@rita", "RITA", "manny", "manny@example.com", "nobody", "", "\x00", "@"]


def hostile_pools(special: dict[str, list]) -> dict[str, st.SearchStrategy]:
    """Per field: one of its hostile values, or random JSON."""
    return {name: st.sampled_from(pool) | values for name, pool in special.items()}


def endpoint_bodies(valid: dict, special: dict[str, list]) -> st.SearchStrategy:
    """Random JSON; objects with any of the endpoint's fields (and one it does not have); and
    its valid body with one or two fields changed, to get past the first check."""
    pools = hostile_pools(special)
    fields = st.fixed_dictionaries({}, optional={**pools, "unknown_field": values})
    change = st.sampled_from(sorted(pools)).flatmap(
        lambda name: pools[name].map(lambda value: {name: value})
    )
    tweaks = st.lists(change, max_size=2).map(lambda changes: {**valid, **dict_union(changes)})
    return values | fields | tweaks


def dict_union(dicts: list[dict]) -> dict:
    return {key: value for each in dicts for key, value in each.items()}


def watched_rows() -> dict:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in WATCHED}


def check_answer(response, before: dict, request) -> None:
    """Never a server error; a refusal is a 4xx naming what was wrong and writes nothing."""
    assert response.status_code < 500, (request, response.content)
    if response.status_code >= 400:
        body = response.json_body
        assert isinstance(body, dict) and isinstance(body.get("detail"), str), (request, body)
        assert "field" in body, (request, body)
        assert watched_rows() == before, (request, "refused but wrote")


@pytest.fixture
def resolved_incident(declare, responder):
    """`resolved_incident()` declares and resolves a new incident, ready for a postmortem."""

    def make():
        incident = declare(summary="Payments fail")
        return incident_resolve(actor=responder, source=WEB, incident=incident)

    return make


@pytest.fixture
def postmortem(resolved_incident, responder, manager, viewer):
    """A draft postmortem; manny (a manager) and vic (a viewer) exist to be named."""
    return postmortem_start(actor=responder, source=WEB, incident=resolved_incident())


@pytest.fixture
def manny(api_client, manager):
    """A manager's API client: the one who may publish."""
    return api_client(manager)


@pytest.fixture
def web(client, responder):
    """A signed-in browser session, to read back what a write stored."""
    client.force_login(responder)
    return client


def read_back(api, web, reference: str, request) -> None:
    """What an accepted write stored can be shown: the postmortem, its follow-ups and the review
    in the API; the postmortem's page and its meeting invite on the web."""
    pm = PM.format(ref=reference)
    for path in (pm, f"{pm}/followups", "/review"):
        response = api.call("GET", path)
        assert response.status_code == 200, (request, path, response.content)
    for path in (f"/{pm.lstrip('/')}", f"{pm}/meeting.ics"):
        response = web.get(path)
        assert response.status_code in (200, 404), (request, path, response.content[:500])


def send(client, method: str, path: str, body, web=None) -> None:
    """Send `body` as JSON and check the answer; after an accepted write, read it back."""
    before = watched_rows()
    response = client.call(method, path, raw=json.dumps(body))
    if currently_in_test_context():
        event(f"{method} {path.rsplit('/', 1)[-1]}: {response.status_code}")
    check_answer(response, before, (method, path, body))
    if response.status_code < 300 and web is not None:
        read_back(client, web, path.split("/")[2], (method, path, body))


START = {"template": ["blameless", "BLAMELESS", " technology_incident_report ", "nope", "\x00"]}


@FUZZ
@given(body=endpoint_bodies({"template": "blameless"}, START))
def test_starting_a_postmortem_with_random_json_never_fails_on_the_server(
    rita, web, resolved_incident, body
):
    path = PM.format(ref=resolved_incident().reference)
    send(rita, "POST", path, body, web)


SECTION_KEYS = ["summary", "timeline", "impact", "five_whys", "nope", "", "\x00", "x" * 300]
sections = st.dictionaries(
    st.sampled_from(SECTION_KEYS), st.sampled_from(TEXTS) | values, max_size=3
)
whys = st.lists(
    st.fixed_dictionaries(
        {}, optional={"why": st.sampled_from(TEXTS) | values, "because": st.sampled_from(TEXTS)}
    )
    | values,
    max_size=12,
)
TAXONOMY = [
    "MISSING_TEST", "missing_test", "MISSING_TEST < MISSING_ALERT", "A < B", "<", " < < ",
    "MISSING_TEST < MISSING_TEST", " < ".join(["MISSING_TEST"] * 500), "\x00", "x" * 5000,
]  # fmt: skip
EDIT = {
    "sections": [{"summary": t} for t in TEXTS] + [{"impact": "facts"}, {}],
    "five_whys": [[], [{"why": "Why?", "because": "A lock."}], [{"why": "Why?"}] * 11],
    "taxonomy": TAXONOMY,
    "public_impact": TEXTS,
    "public_cause": TEXTS,
    "public_solution": TEXTS,
    "public_conclusion": TEXTS,
}
edit_bodies = endpoint_bodies({"sections": {"summary": "Fine."}}, EDIT) | st.fixed_dictionaries(
    {}, optional={"sections": sections, "five_whys": whys}
)


@FUZZ
@given(body=edit_bodies)
def test_editing_a_postmortem_with_random_json_never_fails_on_the_server(
    rita, web, postmortem, body
):
    send(rita, "PATCH", PM.format(ref=postmortem.incident.reference), body, web)


REVIEW = {
    "status": ["in_review", "published", "draft", "PUBLISHED", " draft ", "closed", "\x00"],
    "reviewers": [["manny"], ["rita", "manny"], ["nobody"], ["\x00"], [], "manny", [1], None],
    "reason": TEXTS,
}


@FUZZ
@given(
    state=st.sampled_from(["draft", "in_review"]),
    body=endpoint_bodies({"status": "published"}, REVIEW),
)
def test_reviewing_a_postmortem_with_random_json_never_fails_on_the_server(
    manny, web, resolved_incident, manager, state, body
):
    # A manager may make every move; each example starts from a fresh draft or one in review,
    # with its taxonomy set, so that publishing is reachable.
    postmortem = postmortem_start(actor=manager, source=WEB, incident=resolved_incident())
    postmortem_edit(actor=manager, source=WEB, postmortem=postmortem, taxonomy="MISSING_TEST")
    if state == "in_review":
        postmortem_review(
            actor=manager, source=WEB, postmortem=postmortem, status=state, reviewers=["manny"]
        )
    send(manny, "POST", f"{PM.format(ref=postmortem.incident.reference)}/review", body, web)


FOLLOWUP = {
    "title": TEXTS,
    "owner": HANDLES,
    "category": ["prevent", "Detect", "", "sabotage", "\x00"],
    "priority": ["high", "LOW", "", "urgent", "\x00"],
    "due_date": DATES,
    "external_url": ["https://example.com/x", "javascript:alert(1)", "http://", "\x00"],
    "description": TEXTS,
}


@FUZZ
@given(body=endpoint_bodies({"title": "Add an alert", "owner": "rita"}, FOLLOWUP))
def test_adding_a_follow_up_with_random_json_never_fails_on_the_server(rita, web, postmortem, body):
    send(rita, "POST", f"{PM.format(ref=postmortem.incident.reference)}/followups", body, web)


WENT_WELL = {"text": TEXTS, "action_item": [0, -1, 1, 2**31, 2**63, 2**70, "1", "x", 1.5, ""]}


@FUZZ
@given(body=endpoint_bodies({"text": "The runbook was right."}, WENT_WELL))
def test_noting_what_went_well_with_random_json_never_fails_on_the_server(
    rita, web, postmortem, body
):
    send(rita, "POST", f"{PM.format(ref=postmortem.incident.reference)}/went-well", body, web)


MEETING = {
    "starts_at": MOMENTS,
    "duration_minutes": [0, 4, 5, 480, 481, -1, 2**31, 2**63, "60", 60.5],
    "location": TEXTS,
    "attendees": [["rita"], ["rita", "rita"], ["vic", "manny"], [], ["nobody"], ["\x00"],
                  ["rita"] * 101, [f"user{i}" for i in range(101)], "rita manny", [None]],
}  # fmt: skip
VALID_MEETING = {"starts_at": SOON.isoformat(), "attendees": ["rita"]}


@FUZZ
@given(body=endpoint_bodies(VALID_MEETING, MEETING))
def test_scheduling_the_meeting_with_random_json_never_fails_on_the_server(
    rita, web, postmortem, settings, body
):
    settings.REPORTING_TIME_ZONE = "Europe/Paris"  # naive times, with clocks that change
    send(rita, "PUT", f"{PM.format(ref=postmortem.incident.reference)}/meeting", body, web)


RATINGS = [1, 5, 0, 6, -1, 2**31, 2**63, "5", "five", 4.5, True, None]
FEEDBACK = {"response_rating": RATINGS, "postmortem_rating": RATINGS, "improve": TEXTS}
VALID_FEEDBACK = {"response_rating": 4, "postmortem_rating": 3}


@FUZZ
@given(body=endpoint_bodies(VALID_FEEDBACK, FEEDBACK))
def test_giving_feedback_with_random_json_never_fails_on_the_server(rita, web, postmortem, body):
    send(rita, "PUT", f"{PM.format(ref=postmortem.incident.reference)}/feedback", body, web)


TERM = {"key": ["CAPACITY_LIMIT", "capacity", "MISSING_TEST", "A-B", "X" * 65, "\x00", ""],
        "definition": TEXTS}  # fmt: skip


@FUZZ
@given(body=endpoint_bodies({"key": "CAPACITY_LIMIT", "definition": "Ran out."}, TERM))
def test_adding_a_taxonomy_term_with_random_json_never_fails_on_the_server(boss, body):
    send(boss, "POST", "/taxonomy", body)


# Each hostile value on its own, so that one failing does not hide another.
PM_HOSTILE = [
    ("POST", "followups", {"title": "Add an alert", "owner": "rita", "due_date": day})
    for day in DATES
] + [
    ("PATCH", "", {"sections": {"summary": "a\x00b"}}),
    ("PATCH", "", {"taxonomy": "\x00"}),
    ("PATCH", "", {"five_whys": [{"why": "\x00"}]}),
    ("POST", "review", {"status": "in_review", "reviewers": ["\x00"]}),
    ("POST", "went-well", {"text": "ok", "action_item": 2**63}),
    ("POST", "went-well", {"text": "ok", "action_item": -(2**63) - 1}),
    ("PUT", "feedback", {**VALID_FEEDBACK, "response_rating": 2**63}),
    ("PUT", "feedback", {**VALID_FEEDBACK, "improve": "\x00"}),
    ("PUT", "meeting", {**VALID_MEETING, "duration_minutes": 2**63}),
    ("PUT", "meeting", {**VALID_MEETING, "attendees": ["\x00"]}),
]


@pytest.mark.parametrize(("method", "tail", "body"), PM_HOSTILE, ids=lambda v: json.dumps(v)[:60])
def test_hostile_postmortem_input_is_refused_or_stored_never_a_server_error(
    rita, web, postmortem, method, tail, body
):
    path = PM.format(ref=postmortem.incident.reference) + (f"/{tail}" if tail else "")
    send(rita, method, path, body, web)


# A time without an offset is read in the reporting time zone: the edges of the calendar are
# reached on either side of UTC.
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris", "Pacific/Kiritimati", "America/Adak"])
@pytest.mark.parametrize("starts_at", MOMENTS, ids=lambda v: json.dumps(v)[:40])
def test_hostile_meeting_times_are_refused_never_a_server_error(
    rita, web, postmortem, settings, zone, starts_at
):
    settings.REPORTING_TIME_ZONE = zone
    path = f"{PM.format(ref=postmortem.incident.reference)}/meeting"
    send(rita, "PUT", path, {**VALID_MEETING, "starts_at": starts_at}, web)


@pytest.mark.parametrize(
    "query", ["since=0001-01-01", "since=9999-12-31", "since=2026-02-30", "since=%00"]
)
def test_odd_review_reads_never_fail_on_the_server(rita, query):
    response = rita.call("GET", f"/review?{query}")
    assert response.status_code < 500, response.content


# Insights ----------------------------------------------------------------------------------

INSIGHTS = ("summary", "timeseries", "breakdown")
QUERY = {
    "since": DATES,
    "until": DATES,
    "severity": ["major", "MAJOR", " critical ", "apocalyptic", "\x00", "x" * 5000],
    "component": ["API", "api", "Nope", "\x00", "%", "_", "x" * 5000],
    "taxonomy": ["MISSING_TEST", "missing_test", "NOPE", "%", "\x00", "x" * 5000],
    "interval": ["week", "month", "WEEK", "day", "", "\x00"],
    "by": ["component", "severity", "detection", "taxonomy", "Severity", "colour", "\x00"],
    "format": ["json", "csv", "CSV", "xml", "", "\x00"],
}
query_values = {name: st.sampled_from(pool) | st.text(max_size=20) for name, pool in QUERY.items()}
queries = st.fixed_dictionaries({}, optional=query_values)


@pytest.fixture
def figures(declare, responder, resolved_incident):
    """Something to count: an open incident in a component, and a resolved one whose postmortem
    names a taxonomy term."""
    ComponentFactory(name="API")
    declare(components=["API"])
    postmortem = postmortem_start(actor=responder, source=WEB, incident=resolved_incident())
    postmortem_edit(actor=responder, source=WEB, postmortem=postmortem, taxonomy="MISSING_TEST")


def insights_get(client, endpoint: str, query: dict, accept: str = "") -> tuple[str, object]:
    path = f"/api/v1/insights/{endpoint}?{urlencode(query)}"
    return path, client.get(path, HTTP_ACCEPT=accept)


def check_read(path: str, response) -> None:
    assert response.status_code < 500, (path, response.content)
    assert response.status_code in (200, 404, 422), (path, response.content)
    if response.status_code != 200:
        body = response.json()
        assert isinstance(body["detail"], str) and "field" in body, (path, body)


@FUZZ
@given(
    endpoint=st.sampled_from(INSIGHTS),
    query=queries,
    accept=st.sampled_from(["", "text/csv", "application/json"]),
)
def test_random_insights_queries_never_fail_on_the_server(rita, figures, endpoint, query, accept):
    path, response = insights_get(rita, endpoint, query, accept)
    event(f"{endpoint}: {response.status_code}")
    check_read(path, response)


INSIGHTS_HOSTILE = [
    {"since": "0001-01-01"},
    {"until": "9999-12-31"},
    {"since": "0001-01-01", "until": "0001-01-01"},
    {"since": "9999-12-31", "until": "9999-12-31"},
    {"since": "0001-01-01", "until": "9999-12-31"},
    {"since": "2026-02-30"},
    {"since": "\x00"},
    {"since": "1700-01-01", "until": "2026-01-01"},
    {"since": "1970-01-01", "until": "2100-12-31"},
    {"since": "1970-01-01", "until": "2100-12-31", "interval": "month"},
    {"since": "1969-12-31"},
    {"until": "2101-01-01"},
    {"severity": "\x00", "component": "\x00", "taxonomy": "\x00"},
    {"interval": "\x00", "by": "\x00", "format": "\x00"},
]


@pytest.mark.parametrize("endpoint", INSIGHTS)
@pytest.mark.parametrize("query", INSIGHTS_HOSTILE, ids=urlencode)
def test_hostile_insights_queries_never_fail_on_the_server(rita, figures, endpoint, query):
    path, response = insights_get(rita, endpoint, query)
    check_read(path, response)

"""The API's write path asks the database a fixed number of times: the incident is read once
before a write (the services read it again, locked, inside their transaction; a note or a
decision checks it unchanged as it writes) and not again for the answer (unless a moment was
set: the row gives it back in UTC); the severity levels,
the reference counter, the responders desk, the desk seats and the role holders are each read
once a request."""

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import selectors, services
from incidentdesk.incidents.models import Incident
from tests.factories import ComponentFactory

# Queries of each request on SQLite in a test transaction (SAVEPOINT and RELEASE included),
# with one person on the responders desk, so the desk's notices are written too. Declaring or
# raising to a severity that pages asks once whether there is a default escalation policy
# (there is none here). Every write moves the incident's live version once (incidents/live.py).
BUDGET = [
    ("note checking the dashboards", 11),
    ("decision roll back", 11),
    ("sev critical", 15),
    ("lead rita", 15),
    ("status identified", 13),
]


@pytest.fixture
def desk(make_user):
    return make_user(username="deskie", on_responders_desk=True)


@pytest.mark.parametrize(("text", "budget"), BUDGET)
def test_a_command_through_the_api_stays_within_its_query_budget(
    rita, incident, desk, text, budget, django_assert_max_num_queries
):
    rita.call("GET", "/me")  # the token's first use is recorded once; not part of the budget
    with django_assert_max_num_queries(budget):
        response = rita.call("POST", f"/incidents/{incident.reference}/commands", {"text": text})
    assert response.status_code == 200, response.json_body


def test_declaring_through_the_api_stays_within_its_query_budget(
    rita, desk, django_assert_max_num_queries
):
    rita.call("GET", "/me")
    body = {"title": "Checkout fails", "severity": "Major", "criteria": ["immediate_response"]}
    with django_assert_max_num_queries(12):
        response = rita.call("POST", "/incidents", body)
    assert response.status_code == 201, response.json_body
    assert response.json_body["desk"][0]["username"] == "deskie"


def test_a_patch_through_the_api_stays_within_its_query_budget(
    rita, incident, desk, django_assert_max_num_queries
):
    rita.call("GET", "/me")
    with django_assert_max_num_queries(12):
        response = rita.call("PATCH", f"/incidents/{incident.reference}", {"summary": "Half fail"})
    assert response.status_code == 200, response.json_body
    assert response.json_body["summary"] == "Half fail"


# What the answers are built from (what the write read, not a read after it) is the incident as
# it is: reading it right after gives the same.

COMMANDS = [
    "assign bob",
    "lead rita",
    "scribe rita",
    "sev critical",
    "note checking the dashboards",
    "decision roll back",
    "status identified",
    "resolve all clear",
]


def test_the_answer_to_each_command_is_the_incident_as_reading_it_gives(
    rita, incident, desk, make_user
):
    make_user(username="bob")
    path = f"/incidents/{incident.reference}"
    for text in COMMANDS:
        response = rita.call("POST", f"{path}/commands", {"text": text})
        assert response.status_code == 200, (text, response.json_body)
        assert response.json_body["incident"] == rita.call("GET", path).json_body, text
    # Resolving took bob off the desk: the answer's desk says so too.
    assert [m["username"] for m in response.json_body["incident"]["desk"]] == ["deskie"]


@pytest.mark.parametrize(
    "extra",
    [{}, {"components": ["API", "Checkout"]}, {"started_at": "2026-03-02T09:00:00+02:00"}],
)
def test_the_answer_to_a_declare_is_the_incident_as_reading_it_gives(rita, desk, extra):
    ComponentFactory(name="Checkout", position=1)
    ComponentFactory(name="API", position=2)
    body = {"title": "Checkout fails", "severity": "major", "criteria": ["immediate_response"]}
    response = rita.call("POST", "/incidents", {**body, **extra})
    assert response.status_code == 201, response.json_body
    reference = response.json_body["reference"]
    assert response.json_body == rita.call("GET", f"/incidents/{reference}").json_body


def test_a_note_on_a_copy_read_before_another_change_leaves_the_copy_as_the_row_is(
    responder, incident
):
    copy = selectors.visible_incident(incident.reference, viewer=responder)
    services.incident_update(
        actor=responder, source=ActionSource.WEB, incident=incident, changes={"title": "Moved"}
    )
    result = services.command_run(
        actor=responder, source=ActionSource.API, incident=copy, text="note still failing"
    )
    assert result.fresh and result.incident.title == "Moved"
    assert result.incident.updated_at == Incident.objects.get(pk=incident.pk).updated_at

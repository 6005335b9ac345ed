"""The API's write path asks the database a fixed number of times: the incident is read once
before a write (the services read it again, locked, inside their transaction) and, for the
answer, again only when the write did not leave it fresh (a note, a decision); the severity
levels, the reference counter and the responders desk are each read once a request."""

import pytest

# Queries of each request on SQLite in a test transaction (SAVEPOINT and RELEASE included),
# with one person on the responders desk, so the desk's notices are written too.
BUDGET = [
    ("note checking the dashboards", 11),
    ("decision roll back", 11),
    ("sev critical", 14),
    ("lead rita", 16),
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
    with django_assert_max_num_queries(14):
        response = rita.call("POST", "/incidents", body)
    assert response.status_code == 201, response.json_body
    assert response.json_body["desk"][0]["username"] == "deskie"


def test_a_patch_through_the_api_stays_within_its_query_budget(
    rita, incident, desk, django_assert_max_num_queries
):
    rita.call("GET", "/me")
    with django_assert_max_num_queries(11):
        response = rita.call("PATCH", f"/incidents/{incident.reference}", {"summary": "Half fail"})
    assert response.status_code == 200, response.json_body
    assert response.json_body["summary"] == "Half fail"

"""The search page, GET /api/v1/search and `incidentdesk search`: what each answers, how each
refuses bad input, and that a restricted incident stays restricted through every one."""

import json

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_invite, timeline_entry_add

pytestmark = pytest.mark.django_db

WEB = ActionSource.WEB


@pytest.fixture
def secret(declare, admin, responder):
    """A restricted incident (declared by an admin, so the responder is outside it) whose
    title and an entry say 'kraken', next to an open incident that says it in an entry."""
    hidden = declare(actor=admin, title="Kraken cluster breach", restricted=True)
    timeline_entry_add(
        actor=admin, source=WEB, incident=hidden, kind="note", body="kraken keys rotated"
    )
    shown = declare(title="Login errors")
    timeline_entry_add(
        actor=responder,
        source=WEB,
        incident=shown,
        kind="note",
        body="Is the kraken cluster involved?",
    )
    return hidden, shown


def test_the_page_lists_only_what_the_viewer_may_see_and_counts_only_that(
    client, responder, secret
):
    hidden, shown = secret
    client.force_login(responder)
    page = client.get("/search", {"q": "kraken"})
    html = page.content.decode()
    assert page.status_code == 200
    assert shown.reference in html and "#entry-" in html
    assert hidden.reference not in html and "breach" not in html
    assert "1 result for" in html


def test_the_page_shows_a_restricted_incident_to_someone_taking_part(
    client, admin, responder, secret
):
    hidden, _ = secret
    incident_invite(actor=admin, source=WEB, incident=hidden, user=responder)
    client.force_login(responder)
    html = client.get("/search", {"q": "kraken", "kind": "incident"}).content.decode()
    assert hidden.reference in html
    assert "<mark>Kraken</mark>" in html


def test_the_api_leaves_out_a_restricted_incident_and_its_count(rita, boss, secret):
    hidden, shown = secret
    outside = rita.call("get", "/search?q=kraken").json_body
    assert {item["incident"] for item in outside["items"]} == {shown.reference}
    assert outside["count"] == 1 and outside["counts"]["incident"] == 0
    inside = boss.call("get", "/search?q=kraken").json_body
    assert inside["items"][0] == inside["items"][0] | {
        "kind": "incident",
        "incident": hidden.reference,
    }
    assert inside["count"] == 4  # the incident, its declaration entry and note, the other note


def test_the_cli_leaves_out_a_restricted_incident_unless_the_searcher_may_see_it(cli, secret):
    hidden, shown = secret
    anonymous = json.loads(cli("search", "kraken", "--json").out)
    assert {item["incident"] for item in anonymous["items"]} == {shown.reference}
    outside = cli("search", "kraken", "--as", "rita")
    assert outside.code == 0 and hidden.reference not in outside.out and "1 result" in outside.out
    inside = json.loads(cli("search", "kraken", "--as", "admin", "--json").out)
    assert hidden.reference in {item["incident"] for item in inside["items"]}


@pytest.mark.parametrize("q", ["", "   ", "x" * 201])
def test_the_api_refuses_an_empty_or_too_long_query_naming_q(rita, q):
    response = rita.call("get", f"/search?q={q}")
    assert response.status_code == 422
    assert response.json_body["field"] == "q"


def test_the_api_refuses_a_control_character_in_q_naming_it(rita):
    response = rita.call("get", "/search?q=a%00b")
    assert response.status_code == 422
    assert response.json_body["field"] == "q"


def test_the_api_filters_by_kind_and_status_and_refuses_unknown_ones(rita, secret):
    _, shown = secret
    entries = rita.call("get", "/search?q=kraken&kind=entry&status=open").json_body
    assert [i["kind"] for i in entries["items"]] == ["entry"]
    assert rita.call("get", "/search?q=kraken&status=resolved").json_body["count"] == 0
    assert rita.call("get", "/search?q=kraken&kind=alerts").json_body["field"] == "kind"
    assert rita.call("get", "/search?q=kraken&status=sleeping").json_body["field"] == "status"
    assert rita.call("get", "/search?q=kraken&page=9").json_body["field"] == "page"


def test_the_api_needs_a_signed_in_caller(client, secret):
    assert client.get("/api/v1/search?q=kraken").status_code == 401


def test_the_page_needs_a_signed_in_viewer(client, responder):
    response = client.get("/search?q=kraken")
    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    "args, option",
    [
        ((), "QUERY"),
        (("x" * 201,), "QUERY"),
        (("kraken", "--limit", "0"), "--limit"),
        (("kraken", "--kind", "alerts"), "--kind"),
        (("kraken", "--reindex"), "QUERY"),
    ],
)
def test_the_cli_exits_2_naming_what_was_wrong(cli, args, option):
    run = cli("search", *args)
    assert run.code == 2
    assert run.err.startswith("error: ") and option in run.err
    assert "Traceback" not in run.err


def test_the_cli_reindex_rebuilds_the_index(cli, secret):
    run = cli("search", "--reindex")
    assert run.code == 0, run.err
    assert "search index rebuilt: " in run.out
    assert json.loads(cli("search", "kraken", "--json").out)["count"] == 1


def test_the_page_says_what_to_type_before_anything_is_typed(client, responder):
    client.force_login(responder)
    html = client.get("/search").content.decode()
    assert "Find anything from past and current incidents" in html


def test_the_page_helps_when_nothing_matches(client, responder, secret):
    client.force_login(responder)
    html = client.get("/search", {"q": "zebra", "status": "resolved"}).content.decode()
    assert "Nothing matches these filters" in html
    assert "Search everything for" in html


def test_the_page_explains_a_too_long_query(client, responder):
    client.force_login(responder)
    page = client.get("/search", {"q": "word " * 50})
    assert page.status_code == 422
    assert "Your search is 249 characters long" in page.content.decode()


@pytest.mark.parametrize("q", ['"', "*", "-", "AND", "(", "title:x", "😀", "\\", "%"])
def test_the_page_never_fails_on_odd_input(client, responder, secret, q):
    client.force_login(responder)
    assert client.get("/search", {"q": q}).status_code == 200


def test_the_top_bar_has_a_search_form(client, responder):
    client.force_login(responder)
    html = client.get("/incidents").content.decode()
    assert '<form role="search" action="/search"' in html

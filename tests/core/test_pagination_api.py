"""Every paged list refuses a page it cannot serve with a JSON 422 naming `page` (a page of
10^18 used to reach SQLite as an overflowing OFFSET and answer an HTML 500). The paged lists
are read from the OpenAPI description, so a new one is covered without being listed here."""

import pytest

from tests.openapi import paginated_operations

BAD_PAGES = ["1000000000000000000", str(10**30), "0", "-1", "abc", "1.5", ""]


@pytest.fixture
def path_values(incident):
    return {"reference": incident.reference}


def _query(op) -> str:
    """The other parameters a list needs: search needs words."""
    return "&q=failing" if op.path == "/search" else ""


def test_the_description_lists_the_paged_lists():
    paths = {op.path for op in paginated_operations()}
    assert {"/incidents", "/incidents/{reference}/timeline"} <= paths


@pytest.mark.parametrize("page", BAD_PAGES)
def test_a_page_that_cannot_exist_is_a_422_naming_page_on_every_paged_list(rita, path_values, page):
    rita.raise_request_exception = False
    for op in paginated_operations():
        response = rita.call("GET", f"{op.url(path_values)}?page={page}{_query(op)}")
        assert response.status_code == 422, (str(op), page, response.content[:200])
        assert response["Content-Type"].startswith("application/json"), str(op)
        assert response.json_body["field"] == "page", (str(op), response.json_body)
        assert response.json_body["detail"].startswith("page: "), str(op)


def test_a_page_past_the_last_is_refused_and_the_last_page_is_served(rita, path_values):
    for op in paginated_operations():
        first = rita.call("GET", f"{op.url(path_values)}?page=1{_query(op)}")
        assert first.status_code == 200, str(op)
        assert first.json_body["count"] <= 25, "the test expects one page of data"
        past = rita.call("GET", f"{op.url(path_values)}?page=2{_query(op)}")
        assert past.status_code == 422, str(op)
        assert past.json_body["field"] == "page"
        assert "last page (1" in past.json_body["detail"], past.json_body


@pytest.mark.django_db
def test_page_one_of_an_empty_list_is_an_empty_page(rita):
    response = rita.call("GET", "/incidents?page=1")
    assert response.status_code == 200
    assert response.json_body == {"items": [], "count": 0}

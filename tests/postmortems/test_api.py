import pytest

from incidentdesk.postmortems.models import Postmortem


@pytest.fixture
def as_responder(api_client, responder):
    return api_client(responder)


def test_starting_before_resolution_is_a_409_saying_why(declare, as_responder):
    incident = declare()
    response = as_responder.call("POST", f"/incidents/{incident.reference}/postmortem", {})
    assert response.status_code == 409
    assert "resolved" in response.json_body["detail"]
    assert not Postmortem.objects.exists()


def test_start_edit_and_read_a_postmortem(resolved, as_responder):
    ref = resolved().reference
    response = as_responder.call("POST", f"/incidents/{ref}/postmortem", {"template": "blameless"})
    assert response.status_code == 201
    body = response.json_body
    assert body["status"] == "draft"
    impact = next(s for s in body["sections"] if s["key"] == "impact")
    assert any(f["label"] == "Time to recover" for f in impact["facts"])

    response = as_responder.call(
        "PATCH",
        f"/incidents/{ref}/postmortem",
        {
            "sections": {"summary": "Bob broke checkout."},
            "five_whys": [{"why": "Why?", "because": "A lock."}],
            "taxonomy": "missing_test",
        },
    )
    assert response.status_code == 200, response.json_body
    assert response.json_body["taxonomy_tree"] == "MISSING_TEST"
    assert response.json_body["warnings"][0]["field"] == "sections.summary"
    got = as_responder.call("GET", f"/incidents/{ref}/postmortem").json_body
    summary = next(s for s in got["sections"] if s["key"] == "summary")
    assert summary["text"] == "Bob broke checkout."


def test_review_and_publish_through_the_api(resolved, as_responder, api_client, manager):
    ref = resolved().reference
    as_responder.call("POST", f"/incidents/{ref}/postmortem", {})
    as_responder.call("PATCH", f"/incidents/{ref}/postmortem", {"taxonomy": "MISSING_ALERT"})
    response = as_responder.call(
        "POST",
        f"/incidents/{ref}/postmortem/review",
        {"status": "in_review", "reviewers": ["manny"]},
    )
    assert response.json_body["status"] == "in_review"
    denied = as_responder.call(
        "POST", f"/incidents/{ref}/postmortem/review", {"status": "published"}
    )
    assert denied.status_code == 403
    published = api_client(manager).call(
        "POST", f"/incidents/{ref}/postmortem/review", {"status": "published"}
    )
    assert published.json_body["status"] == "published"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"taxonomy": "COSMIC_RAYS"}, "taxonomy"),
        ({"sections": {"nope": "x"}}, "sections.nope"),
        ({"sections": "text"}, "sections"),
        ({"five_whys": [{"because": "x"}]}, "five_whys.0"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_edits_are_422_naming_the_field(resolved, as_responder, body, field):
    ref = resolved().reference
    as_responder.call("POST", f"/incidents/{ref}/postmortem", {})
    response = as_responder.call("PATCH", f"/incidents/{ref}/postmortem", body)
    assert response.status_code == 422, response.json_body
    assert response.json_body["field"] == field


def test_a_missing_postmortem_is_a_404(resolved, as_responder):
    response = as_responder.call("GET", f"/incidents/{resolved().reference}/postmortem")
    assert response.status_code == 404
    assert "no postmortem" in response.json_body["detail"]


def test_taxonomy_and_templates_are_listed_and_admins_add_terms(as_responder, api_client, admin):
    keys = [t["key"] for t in as_responder.call("GET", "/taxonomy").json_body]
    assert "DATA_QUALITY" in keys and len(keys) == 15
    templates = [t["key"] for t in as_responder.call("GET", "/postmortem-templates").json_body]
    assert {"blameless", "technology_incident_report"} <= set(templates)
    denied = as_responder.call("POST", "/taxonomy", {"key": "X_TERM", "definition": "x"})
    assert denied.status_code == 403
    created = api_client(admin).call("POST", "/taxonomy", {"key": "x_term", "definition": "x"})
    assert created.status_code == 201 and created.json_body["key"] == "X_TERM"

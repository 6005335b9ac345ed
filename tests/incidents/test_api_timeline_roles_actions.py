"""Timeline, role and action item endpoints."""

from datetime import timedelta

from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, TimelineEntry
from incidentdesk.incidents.services import incident_set_status, timeline_entry_add


def note(incident, actor, body="first"):
    return timeline_entry_add(
        actor=actor, source=ActionSource.WEB, incident=incident, kind="note", body=body
    )


# -- timeline ----------------------------------------------------------------------------------


def test_timeline_lists_entries_paginated(rita, incident, responder):
    note(incident, responder)
    response = rita.call("GET", f"/incidents/{incident.reference}/timeline")
    assert response.status_code == 200
    assert response.json_body["count"] == 2
    kinds = [item["kind"] for item in response.json_body["items"]]
    assert kinds == ["event", "note"]
    assert response.json_body["items"][1]["author"]["username"] == responder.username


def test_timeline_filters_by_kind_and_pinned(rita, incident, responder):
    note(incident, responder)
    incident_set_status(
        actor=responder, source=ActionSource.WEB, incident=incident, status="resolved"
    )
    path = f"/incidents/{incident.reference}/timeline"
    notes = rita.call("GET", f"{path}?kind=note").json_body["items"]
    assert [e["kind"] for e in notes] == ["note"]
    both = rita.call("GET", f"{path}?kind=note,status_change").json_body["items"]
    assert {e["kind"] for e in both} == {"note", "status_change"}
    pinned = rita.call("GET", f"{path}?pinned=true").json_body["items"]
    assert [e["kind"] for e in pinned] == ["status_change"]


def test_adding_a_back_dated_entry(rita, incident):
    when = (timezone.now() - timedelta(hours=3)).replace(microsecond=0)
    response = rita.call(
        "POST",
        f"/incidents/{incident.reference}/timeline",
        {"kind": "event", "body": "Deploy 4.3 started", "occurred_at": when.isoformat()},
    )
    assert response.status_code == 201, response.content
    entry = TimelineEntry.objects.get(pk=response.json_body["id"])
    assert (entry.kind, entry.occurred_at, entry.source) == ("event", when, "api")


def test_editing_an_entry_keeps_a_revision(rita, incident, responder):
    entry = note(incident, responder, "Restarted primary")
    path = f"/incidents/{incident.reference}/timeline/{entry.pk}"
    response = rita.call("PATCH", path, {"body": "Restarted replica"})
    assert response.status_code == 200, response.content
    assert response.json_body["body"] == "Restarted replica"
    assert response.json_body["edited_at"] is not None
    revisions = rita.call("GET", f"{path}/revisions").json_body
    assert [r["body"] for r in revisions] == ["Restarted primary"]
    assert revisions[0]["replaced_by"]["username"] == responder.username


def test_pinning_an_entry(rita, incident, responder):
    entry = note(incident, responder)
    path = f"/incidents/{incident.reference}/timeline/{entry.pk}"
    assert rita.call("PATCH", path, {"pinned": True}).json_body["pinned"] is True
    assert rita.call("PATCH", path, {"pinned": False}).json_body["pinned"] is False


def test_an_entry_of_another_incident_is_404(rita, incident, declare, responder):
    other = note(declare(title="Other"), responder)
    response = rita.call(
        "PATCH", f"/incidents/{incident.reference}/timeline/{other.pk}", {"body": "x"}
    )
    assert response.status_code == 404
    assert response.json_body["field"] == "entry"


def test_editing_a_system_entry_is_409(rita, incident):
    declared = TimelineEntry.objects.get(incident=incident)
    incident_set_status(
        actor=declared.author, source=ActionSource.WEB, incident=incident, status="identified"
    )
    change = TimelineEntry.objects.get(incident=incident, kind="status_change")
    response = rita.call(
        "PATCH", f"/incidents/{incident.reference}/timeline/{change.pk}", {"body": "rewritten"}
    )
    assert response.status_code == 409
    assert response.json_body["field"] == "kind"


# -- roles -------------------------------------------------------------------------------------


def test_roles_lists_current_holders_and_history(rita, incident, responder):
    response = rita.call("GET", f"/incidents/{incident.reference}/roles")
    assert response.status_code == 200
    body = response.json_body
    assert [(r["role"], r["user"]["username"]) for r in body["current"]] == [
        ("reporter", responder.username)
    ]
    assert body["warnings"] == []


def test_assigning_and_handing_over_a_role(rita, incident, make_user, responder):
    make_user(username="lena")
    make_user(username="otto", email="otto@example.com")
    path = f"/incidents/{incident.reference}/roles"
    first = rita.call("POST", path, {"role": "lead", "person": "lena"})
    assert first.status_code == 201, first.content
    second = rita.call("POST", path, {"role": "lead", "person": "otto@example.com"})
    assert second.status_code == 201
    leads = [r for r in second.json_body["history"] if r["role"] == "lead"]
    assert [r["user"]["username"] for r in leads] == ["lena", "otto"]
    assert leads[0]["ended_by"]["username"] == responder.username
    assert leads[1]["ended_at"] is None


def test_lead_and_scribe_warning_in_roles(rita, incident, responder):
    path = f"/incidents/{incident.reference}/roles"
    rita.call("POST", path, {"role": "lead", "person": responder.username})
    response = rita.call("POST", path, {"role": "scribe", "person": responder.username})
    assert "both lead and scribe" in response.json_body["warnings"][0]


def test_releasing_a_role(rita, incident, make_user):
    make_user(username="ann")
    make_user(username="bob")
    path = f"/incidents/{incident.reference}/roles"
    rita.call("POST", path, {"role": "assignee", "person": "ann"})
    rita.call("POST", path, {"role": "assignee", "person": "bob"})
    response = rita.call("DELETE", f"{path}/assignee?person=ann")
    assert response.status_code == 200, response.content
    current = [
        r["user"]["username"] for r in response.json_body["current"] if r["role"] == "assignee"
    ]
    assert current == ["bob"]


def test_releasing_a_role_nobody_holds_is_409(rita, incident):
    response = rita.call("DELETE", f"/incidents/{incident.reference}/roles/scribe")
    assert response.status_code == 409
    assert response.json_body["field"] == "role"


# -- actions -----------------------------------------------------------------------------------


def test_creating_listing_and_updating_actions(rita, incident, make_user):
    make_user(username="olga")
    path = f"/incidents/{incident.reference}/actions"
    created = rita.call(
        "POST", path, {"title": "Alert on queue depth", "phase": "follow_up", "owner": "olga"}
    )
    assert created.status_code == 201, created.content
    body = created.json_body
    assert body["incident"] == incident.reference
    assert body["owner"]["username"] == "olga"
    assert body["due_date"] == (timezone.localdate() + timedelta(days=30)).isoformat()
    assert body["overdue"] is False
    listed = rita.call("GET", path)
    assert [a["id"] for a in listed.json_body] == [body["id"]]
    done = rita.call("PATCH", f"/actions/{body['id']}", {"status": "done"})
    assert done.status_code == 200, done.content
    assert done.json_body["completed_at"] is not None


def test_an_overdue_action_says_so(rita, incident):
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    response = rita.call(
        "POST", f"/incidents/{incident.reference}/actions", {"title": "Late", "due_date": yesterday}
    )
    assert response.json_body["overdue"] is True


def test_wont_do_without_a_reason_is_422(rita, incident):
    created = rita.call("POST", f"/incidents/{incident.reference}/actions", {"title": "Maybe"})
    response = rita.call("PATCH", f"/actions/{created.json_body['id']}", {"status": "wont_do"})
    assert response.status_code == 422
    assert response.json_body["field"] == "wont_do_reason"
    assert ActionItem.objects.get().status == "open"


def test_an_unknown_action_is_404(rita):
    response = rita.call("PATCH", "/actions/999999", {"status": "done"})
    assert response.status_code == 404
    assert response.json_body["field"] == "action"

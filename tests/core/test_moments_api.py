"""Every moment and day given to the API falls between 1970-01-01 and 2999-12-31 (core.moments).
Year 1 and year 9999 used to be stored (201) and then, with the app in a zone other than UTC,
broke the public site (the refresh raised OverflowError) and answered 500 on the status page
overview and the incident page. Now each is a 422 naming the field, nothing is stored, and the
site renders in New York and Tokyo."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.postmortems.services import postmortem_start
from incidentdesk.statuspage.models import PublicIncident
from tests.far_moments import (
    FAR_DAYS,
    FAR_MOMENTS,
    assert_site_renders,
    in_each_zone,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_each_zone")]
WEB = ActionSource.WEB
SOON = (timezone.now() + timedelta(days=2)).replace(microsecond=0)


@pytest.fixture
def manny(api_client, manager):
    return api_client(manager)


@pytest.fixture
def published(manny, incident):
    """Something on the public site: the incident published, and maintenance tomorrow."""
    body = {"name": "Payments", "message": "Looking into it.", "status": "investigating"}
    assert (
        manny.call("POST", f"/incidents/{incident.reference}/publication", body).status_code == 201
    )
    return incident


def refused(response, field: str) -> None:
    assert response.status_code == 422, response.json_body
    assert response.json_body["field"] == field
    assert response.json_body["detail"].startswith(f"{field}: is out of range")


def maintenance(start: str, end: str) -> dict:
    return {
        "name": "Upgrade",
        "message": "Short pause.",
        "scheduled_for": start,
        "scheduled_until": end,
    }


@pytest.mark.parametrize("far", FAR_MOMENTS)
def test_maintenance_at_a_far_moment_is_refused_and_the_site_renders(
    manny, manager, published, far
):
    later = SOON.isoformat()
    refused(manny.call("POST", "/maintenances", maintenance(far, later)), "scheduled_for")
    refused(manny.call("POST", "/maintenances", maintenance(later, far)), "scheduled_until")
    assert not PublicIncident.objects.filter(is_maintenance=True).exists()
    assert_site_renders(manager)


@pytest.mark.parametrize("far", FAR_MOMENTS)
def test_far_incident_times_and_entries_are_refused_and_the_pages_render(
    rita, manager, published, db_state, far
):
    before = db_state()
    declared = {"title": "Old", "severity": "major", "criteria": ["security"], "started_at": far}
    refused(rita.call("POST", "/incidents", declared), "started_at")
    path = f"/incidents/{published.reference}"
    refused(rita.call("PATCH", path, {"detected_at": far}), "detected_at")
    refused(rita.call("POST", f"{path}/timeline", {"body": "x", "occurred_at": far}), "occurred_at")
    blocked = {"status": "blocked", "reason": "vendor", "blocked_until": far}
    refused(rita.call("POST", f"{path}/status", blocked), "blocked_until")
    assert db_state() == before
    assert_site_renders(manager)


@pytest.mark.parametrize("far", FAR_DAYS)
def test_far_days_are_refused_and_the_pages_render(
    rita, responder, manager, published, db_state, far
):
    before = db_state()
    path = f"/incidents/{published.reference}"
    refused(rita.call("POST", f"{path}/actions", {"title": "Alert", "due_date": far}), "due_date")
    blocked = {"status": "blocked", "reason": "vendor", "blocked_until": far}
    refused(rita.call("POST", f"{path}/status", blocked), "blocked_until")
    refused(rita.call("GET", f"/review?since={far}"), "since")
    assert db_state() == before
    assert_site_renders(manager)


@pytest.mark.parametrize("far", FAR_DAYS)
def test_a_follow_up_due_on_a_far_day_is_refused(rita, declare, responder, far):
    incident = incident_set_status(
        actor=responder, source=WEB, incident=declare(), status="resolved"
    )
    postmortem_start(actor=responder, source=WEB, incident=incident)
    body = {"title": "Add an alert", "owner": "rita", "due_date": far}
    path = f"/incidents/{incident.reference}/postmortem/followups"
    refused(rita.call("POST", path, body), "due_date")
    assert not incident.actions.exists()


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("1970-01-01T00:00:00Z", "1970-01-01T01:00:00Z"),
        ("2999-12-31T22:00:00Z", "2999-12-31T23:59:59Z"),
    ],
)
def test_the_ends_of_the_window_are_taken_and_render_in_every_zone(
    manny, manager, published, start, end
):
    response = manny.call("POST", "/maintenances", maintenance(start, end))
    assert response.status_code == 201, response.json_body
    entry = {"body": "Long ago", "occurred_at": "1970-01-01T00:00:00Z"}
    response = manny.call("POST", f"/incidents/{published.reference}/timeline", entry)
    assert response.status_code == 201, response.json_body
    assert_site_renders(manager)

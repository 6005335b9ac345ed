"""The web forms refuse a moment or a day outside 1970-01-01…2999-12-31 next to its field and
store nothing; the public site and the pages keep rendering in New York and Tokyo (year 1 and
year 9999 used to be stored and then broke them)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem, Incident, TimelineEntry
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.services import publication_create
from tests.far_moments import (
    assert_site_renders,
    in_each_zone,  # noqa: F401 (a fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("in_each_zone")]
FORM_MOMENTS = ("0001-01-01T00:00", "9999-12-31T23:00")
FORM_DAYS = ("0001-01-01", "9999-12-31")
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def incident(declare, manager):
    """A published incident, so the public site has something of it to show."""
    incident = declare(title="Checkout is failing")
    publication_create(
        actor=manager,
        source=ActionSource.WEB,
        incident=incident,
        name="Checkout",
        message="Looking into it.",
    )
    return incident


def url(name, *args):
    return reverse(name, args=args)


def local(moment) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.mark.parametrize("far", FORM_MOMENTS)
def test_the_maintenance_form_refuses_a_far_moment_next_to_its_field(
    client, manager, incident, far
):
    client.force_login(manager)
    later = local(timezone.now() + timezone.timedelta(days=1))
    for field, start, end in (("scheduled_for", far, later), ("scheduled_until", later, far)):
        form = {"name": "Upgrade", "message": "Pause.", "scheduled_for": start}
        response = client.post(
            url("statuspage_maintenance_create"), {**form, "scheduled_until": end}
        )
        assert response.status_code == 422
        page = response.content.decode()
        assert f'id="mnt_{field}_error"' in page and "Is out of range" in page
    assert not PublicIncident.objects.filter(is_maintenance=True).exists()
    assert_site_renders(manager)


@pytest.mark.parametrize("far", FORM_MOMENTS)
def test_incident_times_and_entries_refuse_a_far_moment_next_to_the_field(
    client, responder, manager, incident, far
):
    client.force_login(responder)
    times = {"started_at": far, "declared_at": local(incident.declared_at)}
    response = client.post(url("incident_edit", incident.reference, "times"), times)
    assert response.status_code == 422
    assert b'id="times_started_at_error"' in response.content
    entry = {"kind": "event", "body": "Long ago", "occurred_at": far}
    response = client.post(url("timeline_add", incident.reference), entry)
    assert response.status_code == 422
    assert b'id="entry_occurred_at_error"' in response.content
    assert Incident.objects.get().started_at is None
    assert not TimelineEntry.objects.filter(body="Long ago").exists()
    assert_site_renders(manager)


@pytest.mark.parametrize("far", FORM_DAYS)
def test_due_dates_and_resume_dates_refuse_a_far_day(client, responder, manager, incident, far):
    client.force_login(responder)
    action = {"title": "Add an alert", "due_date": far, "priority": "high", "phase": "follow_up"}
    response = client.post(url("action_add", incident.reference), action)
    assert response.status_code == 422
    assert b'id="action_due_date_error"' in response.content
    blocked = {"status": "blocked", "reason": "vendor", "blocked_until": far}
    response = client.post(url("incident_status", incident.reference), blocked, **HTMX)
    assert response.status_code == 422
    assert "Is out of range" in response.content.decode()  # at the date, in its form
    assert not ActionItem.objects.exists()
    assert Incident.objects.get().blocked_until is None
    assert_site_renders(manager)

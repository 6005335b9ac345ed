"""Moments and days near the ends of Python's calendar, the time zones that push them over
(New York is behind UTC, Tokyo ahead of it), and the check that the public site and the pages
showing them still render. Shared by the API, web and CLI tests of the window every moment
and day a person gives must fall in (core.moments)."""

import pytest
from django.test import Client
from django.urls import reverse

from incidentdesk.incidents.models import Incident
from incidentdesk.statuspage import public_site
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.public_site import refresh_or_raise

ZONES = ("America/New_York", "Asia/Tokyo")
# The reported ones first; then the same ends written with an offset.
FAR_MOMENTS = (
    "0001-01-01T00:00:00Z",
    "9999-12-31T20:00:00Z",
    "0001-01-01T05:00:00+09:00",
    "9999-12-31T23:00:00-05:00",
)
FAR_DAYS = ("0001-01-01", "9999-12-31", "1969-12-31", "3000-01-01")
PUBLIC_PATHS = (
    "/",
    "/history",
    "/history.atom",
    "/history.rss",
    "/api/v2/summary.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
)


@pytest.fixture(params=ZONES)
def in_each_zone(request, settings) -> str:
    """The test runs once in each of ZONES, as INCIDENTDESK_TIME_ZONE (and the reporting zone
    that follows it) would set it. Import it and name it in `usefixtures`."""
    settings.TIME_ZONE = request.param
    settings.REPORTING_TIME_ZONE = request.param
    return request.param


def assert_site_renders(user) -> None:
    """Every public document renders, is served, and so are the status page overview and
    every incident's page for `user`."""
    public_site.cache.reset()
    stored = refresh_or_raise()
    assert not stored.failures, stored.failures
    public = Client()
    paths = [*PUBLIC_PATHS, *(f"/incidents/{p.public_id}" for p in PublicIncident.objects.all())]
    for path in paths:
        assert public.get(path).status_code == 200, path
    inside = Client()
    inside.force_login(user)
    assert inside.get(reverse("statuspage_overview")).status_code == 200
    for incident in Incident.objects.all():
        page = reverse("incident_detail", args=[incident.reference])
        assert inside.get(page).status_code == 200, page
    public_site.cache.reset()

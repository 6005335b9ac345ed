"""Acknowledging a page: by its one-click link (GET shows a button and changes nothing, POST
acknowledges as the person it was sent to; altered or expired links refused), by the service
(who may, idempotence, the incident's acknowledged_at and timeline), and cancelling."""

import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import signing
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, NotFound, PermissionDenied
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from incidentdesk.oncall.escalation import ACK_SALT
from incidentdesk.oncall.models import PageStatus
from incidentdesk.oncall.paging import (
    ack_url,
    escalations_advance,
    incident_pages_acknowledge,
    page_acknowledge,
    page_cancel,
    page_create,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def paged(crew, responder, incident):
    """ada paged for the incident."""
    return page_create(actor=responder, source=WEB, person="ada", incident=incident)


def path_of(url: str) -> str:
    return urlsplit(url).path


def test_the_link_shows_one_button_and_only_a_post_acknowledges(client, paged, crew, settings):
    url = ack_url(paged, crew["ada"])
    assert url.startswith(f"{settings.BASE_URL}/pages/ack/")
    shown = client.get(path_of(url))
    assert shown.status_code == 200
    assert b"Acknowledge this page?" in shown.content and b'method="post"' in shown.content
    paged.refresh_from_db()
    assert paged.status == PageStatus.OPEN
    done = client.post(path_of(url))
    assert done.status_code == 200 and b"Page acknowledged" in done.content
    paged.refresh_from_db()
    assert (paged.status, paged.acknowledged_by, paged.acknowledged_source) == (
        PageStatus.ACKNOWLEDGED,
        crew["ada"],
        "web",
    )
    again = client.get(path_of(url))
    assert b"Acknowledged by ada" in again.content and b'method="post"' not in again.content


def test_an_altered_link_is_not_found_and_acknowledges_nothing(client, paged, crew):
    url = path_of(ack_url(paged, crew["ada"]))
    answer = client.post(url[:-2] + ("AA" if not url.endswith("AA") else "BB"))
    assert answer.status_code == 404
    paged.refresh_from_db()
    assert paged.status == PageStatus.OPEN


def test_an_expired_link_says_so_and_acknowledges_nothing(client, paged, crew, settings):
    class Yesterday(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 25 * 3600)

    token = Yesterday(salt=ACK_SALT).sign_object({"p": paged.pk, "u": crew["ada"].pk})
    answer = client.post(f"/pages/ack/{token}")
    assert answer.status_code == 422 and b"expired" in answer.content
    paged.refresh_from_db()
    assert paged.status == PageStatus.OPEN
    settings.PAGE_ACK_LINK_HOURS = 48
    assert client.post(f"/pages/ack/{token}").status_code == 200


def test_acknowledging_a_page_acknowledges_its_incident_once_and_the_timeline_says_who(
    paged, crew, incident, responder
):
    page_acknowledge(actor=crew["ada"], source=ActionSource.CHAT, page=paged)
    incident.refresh_from_db()
    first = incident.acknowledged_at
    assert first is not None
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.EVENT).last()
    assert entry.body == "ada acknowledged the incident (paged)"
    assert (entry.author, entry.source) == (crew["ada"], "chat")
    again = page_acknowledge(actor=responder, source=WEB, page=paged)
    assert again.acknowledged_by == crew["ada"]
    incident.refresh_from_db()
    assert incident.acknowledged_at == first
    assert TimelineEntry.objects.filter(body__contains="acknowledged the incident").count() == 1


def test_a_viewer_it_paged_may_acknowledge_but_not_a_viewer_it_did_not(crew, responder, viewer):
    pagee = UserFactory(username="val", role="viewer")
    page = page_create(actor=responder, source=WEB, person="val", summary="Disk full")
    with pytest.raises(PermissionDenied):
        page_acknowledge(actor=viewer, source=WEB, page=page)
    assert page_acknowledge(actor=pagee, source=WEB, page=page).acknowledged_by == pagee


def test_who_cannot_see_a_restricted_incident_cannot_acknowledge_its_page_unless_paged(
    crew, declare, responder
):
    incident = declare(restricted=True)
    page = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    outsider = UserFactory(username="outsider")
    with pytest.raises(NotFound):
        page_acknowledge(actor=outsider, source=WEB, page=page)
    assert page_acknowledge(actor=crew["ada"], source=WEB, page=page).status == "acknowledged"


def test_acknowledging_an_incident_acknowledges_every_page_still_waiting(
    make_policy, crew, incident, responder
):
    make_policy([{"target": "person", "person": "bob", "wait_minutes": 1}])
    first = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    second = page_create(actor=responder, source=WEB, policy="Ops", incident=incident)
    escalations_advance(now=timezone.now() + timedelta(minutes=2))  # the second is exhausted
    pages = incident_pages_acknowledge(actor=crew["bob"], source=WEB, incident=incident)
    assert [p.pk for p in pages] == [first.pk, second.pk]
    assert {p.status for p in pages} == {PageStatus.ACKNOWLEDGED}
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None


def test_a_cancelled_page_stops_and_cannot_be_acknowledged(paged, crew, responder, viewer):
    with pytest.raises(PermissionDenied):
        page_cancel(actor=viewer, source=WEB, page=paged)
    page = page_cancel(actor=responder, source=WEB, page=paged, reason="false alarm")
    assert page.status == PageStatus.CANCELLED and page.outcome == "cancelled by rita: false alarm"
    assert escalations_advance(now=timezone.now() + timedelta(hours=1)) == 0
    with pytest.raises(InvalidTransition) as refused:
        page_acknowledge(actor=crew["ada"], source=WEB, page=page)
    assert refused.value.field == "page"


def test_resolving_the_incident_cancels_its_escalating_pages(paged, incident, responder):
    from incidentdesk.incidents.services import incident_resolve

    incident_resolve(actor=responder, source=WEB, incident=incident, message="Fixed")
    paged.refresh_from_db()
    assert paged.status == PageStatus.CANCELLED
    assert paged.outcome == "cancelled by rita: the incident was resolved"
    assert escalations_advance(now=timezone.now() + timedelta(hours=1)) == 0


def test_the_incident_service_acknowledges_once_and_refuses_viewers_and_closed_incidents(
    incident, responder, viewer, manager
):
    from incidentdesk.incidents.models import IncidentStatus
    from incidentdesk.incidents.services import incident_acknowledge

    with pytest.raises(PermissionDenied):
        incident_acknowledge(actor=viewer, source=WEB, incident=incident)
    incident_acknowledge(actor=responder, source=ActionSource.CLI, incident=incident)
    incident.refresh_from_db()
    first = incident.acknowledged_at
    incident_acknowledge(actor=manager, source=WEB, incident=incident)
    incident.refresh_from_db()
    assert incident.acknowledged_at == first
    bodies = list(
        TimelineEntry.objects.filter(body__contains="acknowledged the incident")
        .order_by("pk")
        .values_list("body", flat=True)
    )
    assert bodies == [
        f"{responder.display_name} acknowledged the incident",
        f"{manager.display_name} acknowledged the incident",
    ]
    type(incident).objects.filter(pk=incident.pk).update(status=IncidentStatus.CLOSED)
    with pytest.raises(InvalidTransition) as refused:
        incident_acknowledge(actor=manager, source=WEB, incident=incident)
    assert refused.value.field == "status"

"""Paging from routes: a route with `pages` that matches a newly opened group pages through
its escalation policy (or the default one) as its author, about the incident it declared or
attached to; a group is paged for once; acknowledging or resolving the group by hand
acknowledges or cancels its pages."""

import json
from datetime import timedelta

import pytest
from django.test import Client

from incidentdesk.alerts.models import AlertGroup
from incidentdesk.alerts.routes import route_create, route_update
from incidentdesk.alerts.selectors import group_url
from incidentdesk.alerts.services import (
    alerts_receive,
    group_acknowledge,
    group_resolve,
    integration_create,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.oncall.models import ContactMethod, Page, PageNotice, PageStatus
from incidentdesk.oncall.page_selectors import contact_method_data
from incidentdesk.oncall.paging import page_create
from incidentdesk.oncall.policies import policy_create, policy_update
from tests.alerts import test_routes
from tests.alerts import test_sources_alertmanager as am
from tests.notifications import conftest as notifications

pytestmark = pytest.mark.django_db
CLI = ActionSource.CLI
WEB = ActionSource.WEB
integration = test_routes.integration
receive = test_routes.receive
alert = test_routes.alert
receiver = notifications.receiver  # a real HTTP receiver on loopback
mail_settings = notifications.mail_settings
NOW = test_routes.NOW
DISK = [{"label": "alertname", "op": "=", "value": "DiskFull"}]


@pytest.fixture
def oncall(make_user):
    return make_user(username="otto")


@pytest.fixture
def default_policy(admin, oncall):
    return policy_create(
        actor=admin,
        source=CLI,
        name="primary",
        is_default=True,
        steps=[{"target": "person", "person": oncall, "wait_minutes": 5}],
    )


@pytest.fixture
def database_policy(admin, responder):
    return policy_create(
        actor=admin,
        source=CLI,
        name="database",
        steps=[{"target": "person", "person": responder, "wait_minutes": 5}],
    )


def test_a_declaring_paging_route_pages_its_policy_about_the_incident(
    admin, responder, database_policy, default_policy, receive
):
    route_create(
        actor=admin,
        source=CLI,
        action="declare",
        severity="trivial",  # a severity that does not page by itself
        matchers=DISK,
        pages=True,
        policy="database",
    )
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    page = Page.objects.get()
    assert page.incident == group.incident and group.incident is not None
    assert page.policy == database_policy and page.summary == "Disk full on fp1"
    assert page.link == group_url(group) and page.link.endswith(f"/alerts/groups/{group.pk}")
    assert page.created_by == admin and page.source == ActionSource.ALERT
    assert page.status == PageStatus.OPEN
    assert list(PageNotice.objects.values_list("user__username", flat=True)) == ["rita"]
    assert OutboxEvent.objects.filter(topic="page.notify").exists()
    paged = group.incident.timeline.get(data__page=page.pk)
    assert paged.source == ActionSource.ALERT

    html = Client()
    html.force_login(responder)
    shown = html.get(f"/alerts/groups/{group.pk}").content.decode()
    assert "through database" in shown and "Escalating" in shown


def test_a_recording_route_that_pages_uses_the_default_policy_without_an_incident(
    admin, oncall, default_policy, receive
):
    route_create(actor=admin, source=CLI, action="record", pages=True)
    receive(alert("fp1"))
    page = Page.objects.get()
    assert page.incident is None and page.policy == default_policy
    assert PageNotice.objects.get().user == oncall
    assert AlertGroup.objects.get().incident is None


def test_a_route_without_pages_pages_nobody(admin, default_policy, receive):
    route_create(actor=admin, source=CLI, action="declare", severity="trivial")
    receive(alert("fp1"))
    assert Incident.objects.exists() and not Page.objects.exists()


def test_a_paging_severity_and_a_paging_route_page_each_policy_once(
    admin, oncall, responder, default_policy, database_policy, receive
):
    route = route_create(actor=admin, source=CLI, action="declare", severity="major", pages=True)
    receive(alert("fp1"))
    incident = AlertGroup.objects.get().incident
    # The severity pages the default policy; the route, through the same policy, adds nothing.
    assert list(Page.objects.values_list("policy__name", flat=True)) == ["primary"]
    assert PageNotice.objects.get().user == oncall

    route_update(actor=admin, source=CLI, route_id=route.pk, policy="database")
    receive(alert("fp2", group="g2"), at=NOW + timedelta(minutes=1))
    second = AlertGroup.objects.get(group_key="g2")
    by_policy = dict(
        Page.objects.filter(incident=second.incident).values_list("policy__name", "link")
    )
    assert by_policy == {"primary": "", "database": group_url(second)}
    assert incident != second.incident


def test_a_group_firing_again_after_it_resolved_is_paged_again_unless_acknowledged(
    admin, responder, default_policy, receive
):
    route_create(actor=admin, source=CLI, action="record", pages=True)
    receive(alert("fp1"))
    receive(alert("fp1", status="resolved"), at=NOW + timedelta(minutes=1))
    receive(alert("fp1"), at=NOW + timedelta(minutes=2))  # re-opened within the window
    assert AlertGroup.objects.count() == 1
    assert list(Page.objects.order_by("pk").values_list("status", flat=True)) == [
        PageStatus.CANCELLED,
        PageStatus.OPEN,
    ]
    group_acknowledge(actor=responder, source=WEB, group_id=AlertGroup.objects.get().pk)
    receive(alert("fp1", status="resolved"), at=NOW + timedelta(minutes=3))
    receive(alert("fp1"), at=NOW + timedelta(minutes=4))
    assert Page.objects.count() == 2  # someone acknowledged it: they are on it


def test_an_incident_already_paged_is_not_paged_again_by_an_attaching_route(
    admin, responder, default_policy, receive
):
    component_save(actor=admin, source=CLI, name="Database")
    incident = test_routes.incident_declare(
        actor=responder,
        source=CLI,
        title="Database slow",
        severity="trivial",
        criteria=["security"],
        components=["Database"],
    )
    page_create(actor=responder, source=CLI, incident=incident)
    route_create(actor=admin, source=CLI, action="attach", components=["Database"], pages=True)
    receive(alert("fp1"))
    assert AlertGroup.objects.get().incident == incident
    assert Page.objects.count() == 1


def test_a_page_refused_leaves_the_declared_incident_and_says_why(admin, default_policy, receive):
    route_create(actor=admin, source=CLI, action="declare", severity="trivial", pages=True)
    policy_update(actor=admin, source=CLI, policy=default_policy, is_default=False)
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    assert group.incident is not None and not Page.objects.exists()
    said = group.incident.timeline.get(kind=EntryKind.ALERT, data__page_refused__isnull=False)
    assert "no default escalation policy" in said.body


def test_acknowledging_the_group_by_hand_stops_its_page_and_acknowledges_the_incident(
    admin, responder, default_policy, receive
):
    route_create(actor=admin, source=CLI, action="declare", severity="trivial", pages=True)
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    group_acknowledge(actor=responder, source=WEB, group_id=group.pk)
    page = Page.objects.get()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == responder
    assert page.next_at is None
    group.incident.refresh_from_db()
    assert group.incident.acknowledged_at is not None


def test_resolving_the_group_by_hand_cancels_its_waiting_page(
    admin, responder, default_policy, receive
):
    route_create(actor=admin, source=CLI, action="record", pages=True)
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    group_resolve(actor=responder, source=WEB, group_id=group.pk)
    page = Page.objects.get()
    assert page.status == PageStatus.CANCELLED and "resolved" in page.outcome


def test_a_sender_acknowledged_group_still_stops_its_page_when_acknowledged_by_hand(
    admin, responder, default_policy, receive
):
    route_create(actor=admin, source=CLI, action="record", pages=True)
    receive(alert("fp1"))
    receive(alert("fp1", status="acknowledged"), at=NOW + timedelta(minutes=1))
    group = AlertGroup.objects.get()
    assert group.status == "acknowledged" and Page.objects.get().status == PageStatus.OPEN
    group_acknowledge(actor=responder, source=WEB, group_id=group.pk)
    assert Page.objects.get().status == PageStatus.ACKNOWLEDGED


def test_a_group_its_sender_resolves_stops_its_page(admin, default_policy, receive):
    route_create(actor=admin, source=CLI, action="declare", severity="trivial", pages=True)
    receive(alert("fp1"), alert("fp2"))
    receive(alert("fp1", status="resolved"), at=NOW + timedelta(minutes=1))
    assert Page.objects.get().status == PageStatus.OPEN  # fp2 still fires
    receive(alert("fp2", status="resolved"), at=NOW + timedelta(minutes=2))
    page = Page.objects.get()
    assert page.status == PageStatus.CANCELLED and "its alerts resolved" in page.outcome
    assert page.incident.status != "resolved"  # the response decides that


@pytest.fixture
def queue_later():
    """The task queue as in production: tasks wait in its storage for a worker."""
    from huey.contrib.djhuey import HUEY

    saved = (HUEY.storage, HUEY.immediate)
    HUEY.immediate = False
    HUEY.flush()
    yield HUEY
    HUEY.immediate = False
    HUEY.flush()
    HUEY.storage, HUEY.immediate = saved


def test_the_intake_answers_before_the_worker_routes_and_pages(
    admin, default_policy, integration, queue_later, django_capture_on_commit_callbacks
):
    route_create(actor=admin, source=CLI, action="declare", severity="trivial", pages=True)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_receive(integration=integration, alerts=[alert("fp1")], received_at=NOW)
    group = AlertGroup.objects.get()
    assert group.incident is None and not Page.objects.exists()
    (queued,) = [t for t in queue_later.pending() if t.name.endswith("route_opened_groups")]
    assert queued.args == ([group.pk],)
    queue_later.immediate = True  # the worker's turn, on this test's database connection
    with django_capture_on_commit_callbacks(execute=True):
        queue_later.execute(queued)
    group.refresh_from_db()
    assert group.incident is not None and Page.objects.get().incident == group.incident


def test_the_intake_routes_by_itself_when_the_queue_is_down(
    admin, default_policy, integration, django_capture_on_commit_callbacks
):
    from huey import PriorityRedisHuey
    from huey.contrib.djhuey import HUEY

    route_create(actor=admin, source=CLI, action="declare", severity="trivial", pages=True)
    saved = (HUEY.storage, HUEY.immediate)
    HUEY.immediate = False
    HUEY.storage = PriorityRedisHuey("down", port=1, socket_connect_timeout=0.5).storage
    try:
        with django_capture_on_commit_callbacks(execute=True):
            alerts_receive(integration=integration, alerts=[alert("fp1")], received_at=NOW)
    finally:
        HUEY.storage, HUEY.immediate = saved
    group = AlertGroup.objects.get()
    assert group.incident is not None and Page.objects.get().incident == group.incident


def test_the_severitys_page_of_a_declared_group_shows_on_it_and_stops_with_its_acknowledgement(
    admin, responder, default_policy, receive
):
    route_create(actor=admin, source=CLI, action="declare", severity="major")  # pages itself
    receive(alert("fp1"))
    group = AlertGroup.objects.get()
    page = Page.objects.get(incident=group.incident)
    assert page.link == ""
    client = Client()
    client.force_login(responder)
    assert "through primary" in client.get(f"/alerts/groups/{group.pk}").content.decode()
    receive(alert("fp1", status="resolved"), at=NOW + timedelta(minutes=1))
    page.refresh_from_db()
    assert page.status == PageStatus.OPEN  # the incident goes on: resolving the group keeps it
    receive(alert("fp1"), at=NOW + timedelta(minutes=2))
    group_acknowledge(actor=responder, source=WEB, group_id=group.pk)
    page.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == responder


def test_an_alertmanager_post_pages_a_webhook_receiver_on_loopback(
    admin, make_user, receiver, django_capture_on_commit_callbacks
):
    person = make_user(username="pat")
    method = ContactMethod.objects.create(
        user=person, position=1, kind="webhook", address=receiver.url("/pat")
    )
    receiver.secrets["/pat"] = contact_method_data(method)["signing_secret"]
    policy_create(
        actor=admin,
        source=CLI,
        name="storage",
        steps=[{"target": "person", "person": person, "wait_minutes": 5}],
    )
    route_create(actor=admin, source=CLI, action="declare", severity="trivial", pages=True,
                 policy="storage")  # fmt: skip
    _, key = integration_create(actor=admin, source=CLI, kind="alertmanager", name="prod")
    with django_capture_on_commit_callbacks(execute=True):
        answer = Client(enforce_csrf_checks=True).post(
            f"/alerts/in/{key}", am.PAYLOAD, content_type="application/json"
        )
    assert answer.status_code == 200 and answer.json()["groups"]["opened"] == 1
    group = AlertGroup.objects.get()
    [request] = receiver.delivered()
    assert request["verified"]
    body = json.loads(request["body"])
    assert body["type"] == "page" and body["person"] == "pat"
    assert body["page"]["link"] == group_url(group)
    assert body["page"]["incident"] == group.incident.reference


def test_a_base_url_whose_host_has_no_dot_still_pages_without_the_link(
    admin, oncall, default_policy, receive, settings
):
    settings.BASE_URL = "http://desk:8000"
    route_create(actor=admin, source=CLI, action="record", pages=True)
    receive(alert("fp1"))
    page = Page.objects.get()
    assert page.link == "" and PageNotice.objects.get().user == oncall

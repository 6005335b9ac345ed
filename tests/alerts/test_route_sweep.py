"""No opened group is left unrouted: routing marks the group in its own transaction, a
group routed once is never routed again, and the minute sweep routes a group whose queued
routing task was lost (the process died between the intake's commit and the enqueue)."""

from datetime import timedelta

import pytest

from incidentdesk.alerts.models import AlertGroup
from incidentdesk.alerts.routes import route_group
from incidentdesk.alerts.services import alerts_receive
from incidentdesk.alerts.tasks import UNROUTED_GRACE, route_unrouted
from incidentdesk.incidents.models import Incident
from tests.alerts import test_route_paging as paging
from tests.alerts import test_routes

pytestmark = pytest.mark.django_db
integration = test_routes.integration
alert = test_routes.alert
declare_route = test_routes.declare_route
queue_later = paging.queue_later
NOW = test_routes.NOW


def routing_tasks(queue) -> list:
    return [t for t in queue.pending() if t.name.endswith("route_opened_groups")]


@pytest.fixture
def lost_task(admin, integration, queue_later, django_capture_on_commit_callbacks):
    """An intake whose routing task is queued and then lost with its worker."""
    declare_route(admin)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_receive(integration=integration, alerts=[alert("fp1")], received_at=NOW)
    queue_later.flush()
    return AlertGroup.objects.get()


def test_the_sweep_routes_a_group_whose_routing_task_was_lost(
    lost_task, django_capture_on_commit_callbacks
):
    assert lost_task.routed_at is None and lost_task.incident is None
    later = lost_task.first_seen_at + UNROUTED_GRACE + timedelta(seconds=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert route_unrouted(now=later) == 1
    lost_task.refresh_from_db()
    assert lost_task.incident is not None and lost_task.routed_at is not None
    assert route_unrouted(now=later + timedelta(minutes=5)) == 0


def test_the_sweep_leaves_a_young_group_to_its_own_task(lost_task):
    assert route_unrouted(now=lost_task.first_seen_at + timedelta(seconds=5)) == 0
    lost_task.refresh_from_db()
    assert lost_task.routed_at is None and lost_task.incident is None


def test_a_group_is_routed_once_however_often_it_is_asked(
    lost_task, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = route_group(lost_task.pk)
        again = route_group(lost_task.pk)
    assert first is not None and again is None
    assert Incident.objects.count() == 1


def test_a_group_reopened_by_flapping_is_routed_again(
    admin, integration, django_capture_on_commit_callbacks, settings
):
    settings.ALERT_FLAP_WINDOW_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=True):
        alerts_receive(integration=integration, alerts=[alert("fp1")], received_at=NOW)
        alerts_receive(
            integration=integration, alerts=[alert("fp1", status="resolved")], received_at=NOW
        )
    group = AlertGroup.objects.get()
    assert group.routed_at is not None and group.incident is None  # no route matched then
    declare_route(admin)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_receive(
            integration=integration,
            alerts=[alert("fp1")],
            received_at=NOW + timedelta(seconds=60),
        )
    group.refresh_from_db()
    assert group.status == "firing" and group.incident is not None


def test_a_group_no_route_could_meet_is_marked_routed_without_reading_its_alerts(
    integration, queue_later, django_assert_num_queries
):
    alerts_receive(integration=integration, alerts=[alert("fp1")], received_at=NOW)
    AlertGroup.objects.update(routed_at=None)  # as if a route was deleted since the intake
    group = AlertGroup.objects.get()
    # Inside the test's transaction: a savepoint and its release, then marking the group
    # routed and reading the routes (there are none), and nothing else.
    with django_assert_num_queries(2 + 2):
        assert route_group(group.pk) is None
    group.refresh_from_db()
    assert group.routed_at is not None and group.incident is None
    with django_assert_num_queries(2 + 1):  # routed already: the marking finds nothing
        assert route_group(group.pk) is None


def test_a_group_opened_while_no_route_exists_is_routed_by_the_intake_without_a_task(
    admin, integration, queue_later, django_capture_on_commit_callbacks, settings
):
    settings.ALERT_FLAP_WINDOW_SECONDS = 300
    with django_capture_on_commit_callbacks(execute=True):
        alerts_receive(integration=integration, alerts=[alert("fp1")], received_at=NOW)
    group = AlertGroup.objects.get()
    assert group.routed_at == NOW and group.incident is None
    assert routing_tasks(queue_later) == []
    # Once a route exists, a group the intake re-opens waits for its routing task.
    declare_route(admin)
    with django_capture_on_commit_callbacks(execute=True):
        alerts_receive(
            integration=integration, alerts=[alert("fp1", status="resolved")], received_at=NOW
        )
        alerts_receive(
            integration=integration,
            alerts=[alert("fp1")],
            received_at=NOW + timedelta(seconds=60),
        )
    group.refresh_from_db()
    assert group.status == "firing" and group.routed_at is None
    assert [t.args for t in routing_tasks(queue_later)] == [([group.pk],)]

"""Alert work for the queue (Huey): routing the groups an intake opened, off the intake's
request, so a sender is answered as soon as its alerts are stored.

Routing a group is idempotent (it marks the group `routed_at` in the same transaction, and a
group already routed is left alone), so a retried task does no harm. When the queue cannot take
the task, the intake routes the groups itself; and if a task is lost after all (the process died
between commit and enqueue), the sweep every minute routes any group left unrouted.
"""

import logging
from datetime import timedelta

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from incidentdesk.alerts import routes
from incidentdesk.alerts.models import AlertGroup

logger = logging.getLogger(__name__)


@db_task(priority=30, retries=2, retry_delay=5)
def route_opened_groups(group_ids: list[int]) -> None:
    """Route the groups (by id) an intake opened or re-opened."""
    routes.route_groups(list(AlertGroup.objects.filter(pk__in=group_ids).order_by("pk")))


def queue_routing(groups: list[AlertGroup]) -> None:
    """The `after_groups_opened` hook: queue the routing of the groups the intake did not
    route itself (it does when no route exists); route here if the queue refuses."""
    groups = [group for group in groups if group.routed_at is None]
    if not groups:
        return
    try:
        route_opened_groups([group.pk for group in groups])
    except Exception:
        logger.exception("the queue refused routing %d alert groups; routing them now", len(groups))
        routes.route_groups(groups)


# A group opened this long ago and still unrouted lost its task (the task routes within
# seconds); younger ones are left to their task.
UNROUTED_GRACE = timedelta(seconds=30)
SWEEP_BATCH = 500


def route_unrouted(*, now=None) -> int:
    """Route the groups whose routing task was lost; returns how many were found."""
    before = (now or timezone.now()) - UNROUTED_GRACE
    groups = list(
        AlertGroup.objects.filter(routed_at__isnull=True, first_seen_at__lt=before).order_by(
            "first_seen_at", "pk"
        )[:SWEEP_BATCH]
    )
    if groups:
        logger.warning("routing %d alert groups whose routing task was lost", len(groups))
        routes.route_groups(groups)
    return len(groups)


@db_periodic_task(crontab(), priority=30)
def route_unrouted_sweep() -> None:
    route_unrouted()

"""Alert work for the queue (Huey): routing the groups an intake opened, off the intake's
request, so a sender is answered as soon as its alerts are stored.

Routing a group is idempotent (a group linked to an incident is left alone, a page is not sent
twice for a group), so a retried task does no harm. When the queue cannot take the task, the
intake routes the groups itself rather than leave them unrouted.
"""

import logging

from huey.contrib.djhuey import db_task

from incidentdesk.alerts import routes
from incidentdesk.alerts.models import AlertGroup

logger = logging.getLogger(__name__)


@db_task(priority=30, retries=2, retry_delay=5)
def route_opened_groups(group_ids: list[int]) -> None:
    """Route the groups (by id) an intake opened or re-opened."""
    routes.route_groups(list(AlertGroup.objects.filter(pk__in=group_ids).order_by("pk")))


def queue_routing(groups: list[AlertGroup]) -> None:
    """The `after_groups_opened` hook: queue the routing; route here if the queue refuses."""
    try:
        route_opened_groups([group.pk for group in groups])
    except Exception:
        logger.exception("the queue refused routing %d alert groups; routing them now", len(groups))
        routes.route_groups(groups)

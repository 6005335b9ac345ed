"""Paging for alert groups: a route with `pages` pages through its escalation policy (or the
default one) when it matches a newly opened group; acknowledging or resolving the group by
hand acknowledges or cancels the pages sent for it, and a group its sender resolves cancels
them too.

A page sent for a group links to the group's page (`selectors.group_url`), which is how the
group finds its pages again. The route acts as its author, with source `alert`.
"""

import logging

from django.db import transaction
from django.db.models import Q

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.alerts.models import AlertGroup, Route
from incidentdesk.alerts.selectors import group_url
from incidentdesk.core.checks import check_link_url
from incidentdesk.core.errors import IncidentDeskError, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.oncall.models import Page, PageStatus
from incidentdesk.oncall.paging import page_acknowledge, page_cancel, page_create
from incidentdesk.oncall.policies import default_policy

logger = logging.getLogger(__name__)
WAITING = (PageStatus.OPEN, PageStatus.EXHAUSTED)  # not acknowledged, not cancelled


def already_paged(group: AlertGroup, incident: Incident | None, route: Route) -> bool:
    """Whether the route's page would repeat one: a page not cancelled exists for the group
    (it re-opened while its page still waits or after someone acknowledged it; a page
    cancelled when the group resolved does not count, so a group firing again pages again),
    or for its incident through the same policy (the severity's own page by the default
    policy, an earlier page). Another policy is paged as well."""
    pages = Page.objects.exclude(status=PageStatus.CANCELLED)
    if pages.filter(link=group_url(group)).exists():
        return True
    policy = route.policy or default_policy()
    return incident is not None and pages.filter(incident=incident, policy=policy).exists()


def page_for_group(
    route: Route, group: AlertGroup, incident: Incident | None, summary: str
) -> Page | None:
    """Page for a group `route` matched, as the route's author, in a savepoint of the
    routing's transaction: a page refused (no default policy any more, a policy that notifies
    nobody, an author who may no longer page) leaves the group and its incident as they are,
    logs a warning and, when there is an incident, says so on its timeline."""
    actor = route.author
    if actor is None or not has_perm(actor, Perm.INCIDENT_DECLARE):
        logger.warning("route %s: its author may no longer page; nobody is paged", route.pk)
        return None
    if already_paged(group, incident, route):
        return None
    try:
        with transaction.atomic():
            return page_create(
                actor=actor,
                source=ActionSource.ALERT,
                incident=incident,
                policy=route.policy,
                summary=summary,
                link=_link(group),
            )
    except IncidentDeskError as exc:
        logger.warning("route %s could not page for group %s: %s", route.pk, group.pk, exc)
        if incident is not None:
            record_entry(
                incident=incident,
                kind=EntryKind.ALERT,
                body=f"Route {route.name or route.pk} could not page: {exc.detail}",
                actor=None,
                source=ActionSource.ALERT,
                data={"alert_group": group.pk, "route": route.pk, "page_refused": exc.detail},
            )
        return None


def _link(group: AlertGroup) -> str:
    """The group's page as the page's link; "" when page_create would refuse it (a BASE_URL
    whose host has no dot, such as http://desk:8000, is no link it takes), so that the page
    is still sent, without it."""
    url = group_url(group)
    try:
        return check_link_url(url, "link")
    except ValidationError:
        logger.warning("the alert group's address %s is not taken as a page's link", url)
        return ""


def waiting_pages(group: AlertGroup, *, with_incident: bool = False) -> list[Page]:
    """The pages sent for the group that still wait for someone (escalating or exhausted);
    `with_incident` adds those of its incident."""
    pages = Page.objects.filter(status__in=WAITING)
    found = Q(link=group_url(group))
    if with_incident and group.incident_id is not None:
        found |= Q(incident_id=group.incident_id)
    return list(pages.filter(found).order_by("pk"))


def acknowledge_pages(group: AlertGroup, actor: User, source: ActionSource) -> list[Page]:
    """Acknowledge the group's waiting pages and its incident's (someone is on it, so the
    paging the group caused stops; a page's incident is acknowledged, as acknowledging the
    page does anywhere)."""
    waiting = waiting_pages(group, with_incident=True)
    return [page_acknowledge(actor=actor, source=source, page=page) for page in waiting]


def groups_resolved(groups: list[AlertGroup]) -> None:
    """The `after_groups_resolved` hook: the sender says a group's alerts are over, so its
    waiting pages are cancelled (by the system; the incident, if any, stays as it is). The
    alerts are committed already: a failure is logged, and the escalation goes on."""
    for group in groups:
        try:
            with transaction.atomic():
                cancel_pages(group, None, ActionSource.SYSTEM, "its alerts resolved")
        except Exception:
            logger.exception("could not cancel the pages of resolved alert group %s", group.pk)


def cancel_pages(
    group: AlertGroup, actor: User | None, source: ActionSource, reason: str
) -> list[Page]:
    """Cancel the waiting pages sent for the group: nobody needs to answer for a resolved
    group (`actor` None: the system, with source SYSTEM). Its incident's own pages stay: the
    incident goes on until someone acknowledges or resolves it."""
    return [
        page_cancel(actor=actor, source=source, page=page, reason=reason)  # type: ignore[arg-type]  # None: the system
        for page in waiting_pages(group)
    ]

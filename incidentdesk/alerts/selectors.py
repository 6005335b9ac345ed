"""Reads of the alerts domain."""

from django.conf import settings
from django.db.models import Case, Count, IntegerField, Max, Q, QuerySet, Value, When
from django.urls import reverse

from incidentdesk.accounts.models import Role
from incidentdesk.alerts.models import AlertGroup, GroupStatus, Integration, Route
from incidentdesk.core.errors import NotAuthenticated, NotFound, PermissionDenied
from incidentdesk.incidents.models import EntryKind, Incident, TimelineEntry
from incidentdesk.oncall.models import Page


def integrations_for(viewer) -> QuerySet[Integration]:
    """Every integration, newest first, for an admin (a read-scoped token will do): they name
    where alerts come from, which is an admin's business."""
    _admin_only(viewer, "the integrations")
    return Integration.objects.select_related("created_by")


def routes_for_admin(viewer) -> QuerySet[Route]:
    """Every route, in the order they are tried (position, then oldest), for an admin."""
    _admin_only(viewer, "the routes")
    return Route.objects.select_related(
        "integration", "severity", "author", "policy"
    ).prefetch_related("components")


def integrations_overview(viewer) -> QuerySet[Integration]:
    """The integrations (admins), each with when it last received something
    (`last_received`, None when never) and how many of its groups are open (`open_groups`)."""
    # Spelled out: a query with aggregates does not take Meta.ordering.
    return (
        integrations_for(viewer)
        .annotate(
            last_received=Max("groups__last_seen_at"),
            open_groups=Count("groups", filter=~Q(groups__status=GroupStatus.RESOLVED)),
        )
        .order_by("-created_at", "-pk")
    )


def _signed_in(viewer) -> None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        raise NotAuthenticated("sign in first")


def groups_for(viewer, *, status: str = "", integration: int | None = None):
    """Alert groups for anyone signed in, open ones first, then by newest activity; a group
    whose incident the viewer may not see is left out (its summary is that incident's title).
    `status`: "open" (firing or acknowledged), one of GroupStatus, or "" for any."""
    _signed_in(viewer)
    visible = Incident.objects.visible_to(viewer).values("pk")
    groups = AlertGroup.objects.filter(Q(incident__isnull=True) | Q(incident__in=visible))
    if status == "open":
        groups = groups.exclude(status=GroupStatus.RESOLVED)
    elif status:
        groups = groups.filter(status=status)
    if integration is not None:
        groups = groups.filter(integration_id=integration)
    closed = When(status=GroupStatus.RESOLVED, then=Value(1))
    return (
        groups.select_related("integration", "incident")
        .annotate(closed=Case(closed, default=Value(0), output_field=IntegerField()))
        .order_by("closed", "-last_seen_at", "-pk")
    )


def group_for(viewer, group_id: int) -> AlertGroup:
    """One group with its alerts (in the order first received), as `groups_for` lets the
    viewer see it; NotFound otherwise."""
    group = groups_for(viewer).prefetch_related("alerts").filter(pk=group_id).first()
    if group is None:
        raise NotFound(f"no alert group with id {group_id}", field="group")
    return group


def source_link(url: str) -> str:
    """A sender's link to where to look, only when it is http(s): anything else is shown as
    text, never as a link."""
    return url if url.lower().startswith(("https://", "http://")) else ""


def group_routing(group: AlertGroup) -> dict:
    """What routing did with the group, as far as the desk recorded it: the route that linked
    it to its incident (from the incident's `alert` entry) and whether that route still
    exists. A group only recorded has no such trace."""
    entry = None
    if group.incident_id is not None:
        entry = (
            TimelineEntry.objects.filter(
                incident_id=group.incident_id,
                kind=EntryKind.ALERT,
                data__alert_group=group.pk,
                data__route__isnull=False,
            )
            .order_by("pk")
            .first()
        )
    route_id = entry.data.get("route") if entry is not None else None
    route = (
        Route.objects.select_related("severity", "policy").filter(pk=route_id).first()
        if route_id
        else None
    )
    return {"entry": entry, "route_id": route_id, "route": route}


def group_url(group: AlertGroup) -> str:
    """The group's page, absolute (a page sent for the group links to it)."""
    return settings.BASE_URL.rstrip("/") + reverse("alert_group", args=[group.pk])


def group_pages(group: AlertGroup) -> list[Page]:
    """The group's pages, newest first: those a route sent for it (they link to the group's
    page) and those of its incident (its severity's own page, say)."""
    return list(Page.objects.filter(_pages_of(group)).select_related("policy", "acknowledged_by"))


def _pages_of(group: AlertGroup) -> Q:
    found = Q(link=group_url(group))
    return found | Q(incident_id=group.incident_id) if group.incident_id else found


def _admin_only(viewer, what: str) -> None:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        raise NotAuthenticated("sign in first")
    if not viewer.is_active or viewer.effective_role != Role.ADMIN:
        raise PermissionDenied(f"only an admin may see {what}")


def integration_data(integration: Integration) -> dict:
    """An integration as the API and `integration list --json` show it (never its key)."""
    return {
        "id": integration.pk,
        "kind": integration.kind,
        "name": integration.name,
        "key_id": integration.key_id,
        "signed": integration.signed,
        "created_by": integration.created_by.username if integration.created_by else None,
        "created_at": integration.created_at,
        "revoked_at": integration.revoked_at,
    }


def next_route_position() -> int:
    """A position after every route's (so a route added on the web is tried last)."""
    last = Route.objects.aggregate(last=Max("position"))["last"]
    return 0 if last is None else min(last + 10, 10_000)


GROUP_FILTERS = ("open", *GroupStatus.values, "any")  # `groups_for`'s status, by every door


def group_data(group: AlertGroup, *, alerts: bool = False) -> dict:
    """An alert group as the API and `alerts list --json` show it; `alerts` adds its alerts
    (prefetched by `group_for`)."""
    data = {
        "id": group.pk,
        "integration": group.integration_id,
        "integration_name": group.integration.name,
        "group_key": group.group_key,
        "status": group.status,
        "summary": group.summary,
        "severity": group.severity,
        "labels": group.labels,
        "first_seen_at": group.first_seen_at,
        "last_seen_at": group.last_seen_at,
        "resolved_at": group.resolved_at,
        "alert_count": group.alert_count,
        "incident": group.incident.reference if group.incident else None,
    }
    if alerts:
        data["alerts"] = [alert_data(a) for a in group.alerts.all()]
    return data


def alert_data(alert) -> dict:
    """One alert of a group, as the API shows it."""
    return {
        "key": alert.key,
        "status": alert.status,
        "summary": alert.summary,
        "severity": alert.severity,
        "starts_at": alert.starts_at,
        "ends_at": alert.ends_at,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "source_url": alert.source_url,
        "count": alert.count,
        "first_received_at": alert.first_received_at,
        "last_received_at": alert.last_received_at,
    }


def route_data(route: Route) -> dict:
    """A route as the API and `route list --json` show it (its severity by key, its
    components by name, its author by username)."""
    return {
        "id": route.pk,
        "integration": route.integration_id,
        "position": route.position,
        "name": route.name,
        "matchers": route.matchers,
        "action": route.action,
        "severity": route.severity.key if route.severity else None,
        "components": [c.name for c in route.components.all()],
        "pages": route.pages,
        "policy": route.policy.name if route.policy else None,
        "author": route.author.username if route.author else None,
        "created_at": route.created_at,
    }

"""Routes: what happens to an alert group when it opens (record it, declare an incident, or
attach it to an open incident), decided by label matchers stored as data.

Admins write routes through `route_create`, `route_update`, `route_move` and `route_delete`.
The intake queues `route_groups` (`alerts.tasks`, on `hooks.after_groups_opened`) after its
commit, so the worker routes, and pages through `alerts.paging` for a route with `pages`.

A route acts with its author's rights: the intake has no person, and an incident needs a
reporter, so the admin who last wrote the route (its `author`) declares, with source `alert`.
A route whose author was deleted, deactivated or may no longer do it only records.
"""

import logging
import re
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm, require
from incidentdesk.alerts import paging, rows
from incidentdesk.alerts.models import Alert, AlertGroup, Integration, Route, RouteAction
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters, safe_text
from incidentdesk.incidents import live
from incidentdesk.incidents.models import EntryKind, Incident
from incidentdesk.incidents.services.catalog import component_lookup, severity_lookup
from incidentdesk.incidents.services.incidents import incident_declare
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.oncall.models import EscalationPolicy

logger = logging.getLogger(__name__)

OPS = ("=", "!=", "=~", "!~")
MAX_MATCHERS = 20
MAX_VALUE = 1_000
CRITERIA_REASON = "Declared from an alert; the criteria are to be confirmed"
TITLE_MAX = 200


# Matching -------------------------------------------------------------------------------


def _matches(matcher: dict[str, str], labels: dict[str, Any]) -> bool:
    """One matcher against labels, as Alertmanager reads it: a missing label is the empty
    string, and a regular expression must match the whole value."""
    value = str(labels.get(matcher["label"], ""))
    op = matcher["op"]
    if op in ("=", "!="):
        return (value == matcher["value"]) == (op == "=")
    found = re.fullmatch(matcher["value"], value) is not None
    return found == (op == "=~")


def route_matches(route: Route, labels: dict[str, Any]) -> bool:
    """Whether every matcher of `route` holds (a route without matchers matches all)."""
    return all(_matches(m, labels) for m in route.matchers)


def routes_for(integration_id: int) -> list[Route]:
    """The routes tried for an integration's groups, in order: its own and those of all."""
    routes = Route.objects.filter(Q(integration__isnull=True) | Q(integration_id=integration_id))
    return list(routes.order_by("position", "pk").prefetch_related("components"))


def route_for(
    group: AlertGroup, alerts: list[Alert], routes: list[Route] | None = None
) -> Route | None:
    """The first route matching the group (of `routes`, else those of its integration): its
    matchers see the labels of one of its alerts together with the group's own (the group's
    win)."""
    candidates = [{**a.labels, **group.labels} for a in alerts] or [dict(group.labels)]
    for route in routes_for(group.integration_id) if routes is None else routes:
        if any(route_matches(route, labels) for labels in candidates):
            return route
    return None


# Acting on opened groups -------------------------------------------------------------------


def route_groups(groups: list[AlertGroup]) -> None:
    """Route each newly opened group (queued by the `after_groups_opened` hook). The alerts
    are already committed: a group that fails is logged and stays recorded, and the others
    go on."""
    for group in groups:
        try:
            route_group(group.pk)
        except Exception:
            logger.exception("routing alert group %s failed; it stays recorded", group.pk)


def route_group(group_id: int) -> Incident | None:
    """Route one group, once: a group already linked to an incident is left as it is. Returns
    the incident it was linked to, or None when it is only recorded. A route with `pages`
    then pages for it (see `alerts.paging`), about that incident when there is one."""
    with transaction.atomic():
        # Marked routed first, in one statement that also locks the row: most groups meet no
        # route, and then that and reading the routes is all (every opened group comes here).
        claimed = rows.group_claim_routing(group_id, timezone.now())
        if claimed is None:
            return None  # routed already (a retried task, or the sweep and the task both)
        integration_id, incident_id = claimed
        live.changed(incident_id)  # rows write no model signals
        if incident_id is not None:
            return None
        candidates = routes_for(integration_id)
        if not candidates:
            return None
        group = AlertGroup.objects.select_related("integration").get(pk=group_id)
        alerts = list(group.alerts.all())
        route = route_for(group, alerts, candidates)
        if route is None:
            return None
        incident = _link(route, group, alerts)
        if route.pages:
            paging.page_for_group(route, group, incident, _title(group))
    return incident


def _link(route: Route, group: AlertGroup, alerts: list[Alert]) -> Incident | None:
    """Declare the route's incident or find the one to attach to, and link the group to it."""
    actor = route.author
    found: Incident | None = None
    declares = route.action == RouteAction.DECLARE
    if declares and actor is not None and _may(actor, Perm.INCIDENT_DECLARE, route):
        found = _declare(route, group, alerts, actor)
    elif route.action == RouteAction.ATTACH and _may(actor, Perm.TIMELINE_WRITE, route):
        found = _attach_target(route)
    if found is not None:
        group.incident = found
        group.save(update_fields=["incident"])
        _alert_entry(found, group, alerts, route)
    return found


def _may(actor: User | None, perm: Perm, route: Route) -> bool:
    if actor is not None and has_perm(actor, perm):
        return True
    logger.warning("route %s: its author may no longer do this; the group is recorded", route.pk)
    return False


def _title(group: AlertGroup) -> str:
    title = group.summary or str(group.labels.get("alertname", "")) or group.group_key
    title = " ".join(safe_text(title).split())
    return title[: TITLE_MAX - 1] + "…" if len(title) > TITLE_MAX else title


def _declare(route: Route, group: AlertGroup, alerts: list[Alert], actor: User) -> Incident:
    """Declare from the group: it started when its earliest alert did (never after the desk
    first saw it) and was detected when the desk first saw it."""
    detected_at = group.first_seen_at
    starts = [a.starts_at for a in alerts if a.starts_at is not None]
    started_at = min([*starts, detected_at])
    return incident_declare(
        actor=actor,
        source=ActionSource.ALERT,
        title=_title(group),
        severity=route.severity.key if route.severity else "",
        criteria=[],
        criteria_reason=CRITERIA_REASON,
        started_at=started_at,
        detected_at=detected_at,
        components=[c.pk for c in route.components.all()],
        detection="proactive",
        report_medium="monitoring",
    )


def _attach_target(route: Route) -> Incident | None:
    """The open incident, latest declared, sharing a component with the route."""
    components = list(route.components.all())
    if not components:
        return None
    return (
        Incident.objects.open()
        .filter(components__in=components)
        .order_by("-declared_at", "-pk")
        .first()
    )


def _alert_entry(incident: Incident, group: AlertGroup, alerts: list[Alert], route: Route):
    """One `alert` entry for the group's alerts on the incident's timeline."""
    count = len(alerts)
    body = f"Alert group {_title(group)} ({count} alert{'s' if count != 1 else ''}, {group.status})"
    occurred = min([a.starts_at for a in alerts if a.starts_at] + [group.first_seen_at])
    return record_entry(
        incident=incident,
        kind=EntryKind.ALERT,
        body=body,
        actor=None,
        source=ActionSource.ALERT,
        data={
            "alert_group": group.pk,
            "integration": group.integration_id,
            "route": route.pk,
            "action": route.action,
            "labels": group.labels,
            "alerts": [
                {"key": a.key, "status": a.status, "summary": a.summary, "labels": a.labels}
                for a in alerts
            ],
        },
        occurred_at=occurred,
    )


# Writing routes (admins) -------------------------------------------------------------------


def _check_matchers(matchers: Any) -> list[dict[str, str]]:
    if not isinstance(matchers, list):
        raise ValidationError("must be a list of {label, op, value}", field="matchers")
    if len(matchers) > MAX_MATCHERS:
        raise ValidationError(f"at most {MAX_MATCHERS} matchers", field="matchers")
    clean = []
    for index, matcher in enumerate(matchers):
        where = f"matchers[{index}]"
        if not isinstance(matcher, dict):
            raise ValidationError("must be an object {label, op, value}", field=where)
        unknown = set(matcher) - {"label", "op", "value"}
        if unknown:
            raise ValidationError(f"unknown key {sorted(unknown)[0]!r}", field=where)
        label, op, value = matcher.get("label"), matcher.get("op", "="), matcher.get("value", "")
        if not isinstance(label, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", label):
            raise ValidationError(
                "must be a label name (letters, digits, _)", field=f"{where}.label"
            )
        if op not in OPS:
            raise ValidationError(
                f"unknown op {op!r}; use one of {', '.join(OPS)}", field=f"{where}.op"
            )
        if not isinstance(value, str) or len(value) > MAX_VALUE:
            raise ValidationError(
                f"must be text of at most {MAX_VALUE} characters", field=f"{where}.value"
            )
        refuse_unsafe_characters(value, field=f"{where}.value")
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ValidationError(
                    f"not a regular expression: {exc}", field=f"{where}.value"
                ) from exc
        clean.append({"label": label, "op": op, "value": value})
    return clean


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    for name, value in values.items():
        if name == "integration":
            if value is None:
                clean[name] = None
            else:
                found = Integration.objects.filter(pk=getattr(value, "pk", value)).first()
                if found is None:
                    raise NotFound(f"no integration {value!r}", field="integration")
                clean[name] = found
        elif name == "position":
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
                raise ValidationError("must be a whole number from 0 to 10000", field="position")
            clean[name] = value
        elif name == "name":
            value = refuse_unsafe_characters((value or "").strip(), field="name")
            if len(value) > 100:
                raise ValidationError("at most 100 characters", field="name")
            clean[name] = value
        elif name == "matchers":
            clean[name] = _check_matchers(value)
        elif name == "action":
            if value not in RouteAction.values:
                choices = ", ".join(RouteAction.values)
                raise ValidationError(
                    f"unknown action {value!r}; use one of {choices}", field="action"
                )
            clean[name] = value
        elif name == "severity":
            clean[name] = None if value in (None, "") else severity_lookup(value)
        elif name == "components":
            if not isinstance(value, list | tuple):
                raise ValidationError(
                    "must be a list of component names or ids", field="components"
                )
            clean[name] = list({c.pk: c for c in map(component_lookup, value)}.values())
        elif name == "pages":
            if not isinstance(value, bool):
                raise ValidationError("must be true or false", field="pages")
            clean[name] = value
        elif name == "policy":
            clean[name] = _policy(value)
        else:
            raise ValidationError("is not a field of a route", field=name)
    return clean


def _policy(value: Any) -> EscalationPolicy | None:
    """An escalation policy by itself, its id or its name; None or "" for the default one."""
    if value in (None, ""):
        return None
    if isinstance(value, EscalationPolicy):
        return value
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValidationError("must be an escalation policy's id or name", field="policy")
    found = None
    if isinstance(value, int) or value.strip().isdigit():
        found = EscalationPolicy.objects.filter(pk=int(value)).first()
    if found is None and isinstance(value, str):
        found = EscalationPolicy.objects.filter(name__iexact=value.strip()).first()
    if found is None:
        raise NotFound(f"no escalation policy {value!r}", field="policy")
    return found


def _check_whole(route: Route, components: list) -> None:
    if route.action == RouteAction.DECLARE and route.severity is None:
        raise ValidationError("a route that declares needs a severity", field="severity")
    if route.action == RouteAction.ATTACH and not components:
        raise ValidationError(
            "a route that attaches needs components to find the incident by",
            field="components",
        )
    if (
        route.pages
        and route.policy is None
        and not EscalationPolicy.objects.filter(is_default=True).exists()
    ):
        raise ValidationError(
            "a route that pages needs an escalation policy, and there is no default one",
            field="policy",
        )


def _save(route: Route, clean: dict[str, Any]) -> Route:
    components = clean.pop("components", None)
    for name, value in clean.items():
        setattr(route, name, value)
    current = (
        components if components is not None else list(route.components.all()) if route.pk else []
    )
    _check_whole(route, current)
    with transaction.atomic():
        route.save()
        if components is not None:
            route.components.set(components)
    return route


def route_create(*, actor: User, source: ActionSource, **values: Any) -> Route:
    """Create a route (admins). `values`: integration (id or None for all), position, name,
    matchers, action (record, declare, attach), severity (declare), components, pages, policy
    (an escalation policy's id or name; None pages by the default policy)."""
    require(actor, Perm.INTEGRATION_MANAGE)
    return _save(Route(author=actor), _clean(values))


def _route(route_id: int) -> Route:
    route = Route.objects.filter(pk=route_id).first()
    if route is None:
        raise NotFound(f"no route with id {route_id}", field="route")
    return route


def route_update(*, actor: User, source: ActionSource, route_id: int, **changes: Any) -> Route:
    """Change a route's fields (admins); the rest stay. The admin who changes it becomes its
    author: from now on it acts with their rights."""
    require(actor, Perm.INTEGRATION_MANAGE)
    route = _route(route_id)
    route.author = actor
    return _save(route, _clean(changes))


def route_move(*, actor: User, source: ActionSource, route_id: int, to: int) -> Route:
    """Move a route to place `to` (0 first) in the order routes are tried (admins). Every
    route is renumbered 10, 20, 30… in the new order, so ties of position are settled too.
    The author stays: moving changes which route is tried first, not whose rights it uses."""
    require(actor, Perm.INTEGRATION_MANAGE)
    if isinstance(to, bool) or not isinstance(to, int) or to < 0:
        raise ValidationError("must be a place from 0 (first)", field="to")
    with transaction.atomic():
        ordered = list(Route.objects.select_for_update().order_by("position", "pk"))
        route = next((r for r in ordered if r.pk == route_id), None)
        if route is None:
            raise NotFound(f"no route with id {route_id}", field="route")
        ordered.remove(route)
        ordered.insert(min(to, len(ordered)), route)
        for index, each in enumerate(ordered):
            position = (index + 1) * 10
            if each.position != position:
                Route.objects.filter(pk=each.pk).update(position=position)
                each.position = position
    return route


def route_delete(*, actor: User, source: ActionSource, route_id: int) -> None:
    """Delete a route (admins). Groups it linked stay linked."""
    require(actor, Perm.INTEGRATION_MANAGE)
    _route(route_id).delete()

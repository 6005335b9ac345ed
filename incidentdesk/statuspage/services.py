"""Status page use cases: publishing incidents, posting updates, maintenance, component
status and the site banner. Each write records what the public sees, notes it on the
internal timeline, emits its notification to the outbox and re-renders the public site after
commit."""

from collections.abc import Mapping
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require, require_or_system
from incidentdesk.core.checks import check_link_url, check_text
from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.moments import check_moment
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component, EntryKind, Incident, Visibility
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.notifications.outbox import emit
from incidentdesk.statuspage import rules, uptime
from incidentdesk.statuspage.affected import (
    incident_takes_components,
    new_component_check,
    new_component_create,
)
from incidentdesk.statuspage.messages import component_payload, incident_payload
from incidentdesk.statuspage.models import (
    INCIDENT_STATUSES,
    MAINTENANCE_STATUSES,
    AffectedComponent,
    BannerKind,
    ComponentDay,
    ComponentStatusChange,
    PageSettings,
    PublicIncident,
    PublicUpdate,
)
from incidentdesk.statuspage.public_site import refresh_after_commit
from incidentdesk.statuspage.selectors import component_by_key

MESSAGE_MAX = 5_000


def _clean_components(components: Mapping | None) -> dict[Component, str]:
    if components is None:
        return {}
    if not isinstance(components, Mapping):
        raise ValidationError("give components as {name or id: status}", field="components")
    return {
        component_by_key(key): rules.check_component_status(status, field=f"components.{key}")
        for key, status in components.items()
    }


def _check_status(status: str, allowed, field: str = "status") -> str:
    status = (status or "").strip().lower()
    if status not in allowed:
        raise ValidationError(
            f"unknown status {status!r}; use one of {', '.join(allowed)}", field=field
        )
    return status


def _check_impact(impact: str | None) -> str:
    impact = (impact or "").strip().lower()
    if impact and impact not in rules.IMPACT_ORDER:
        raise ValidationError(
            f"unknown impact {impact!r}; use one of {', '.join(rules.IMPACT_ORDER)}", field="impact"
        )
    return impact


def component_status_set(
    *,
    component: Component,
    status: str,
    at: datetime,
    public_incident: PublicIncident | None = None,
) -> tuple[str, str] | None:
    """Move a component to `status`, closing its previous status span and adding that span's
    non-operational time to the stored day rows, and tell the component's subscribers
    (`component.updated`, through the outbox). Returns (old, new) or None when unchanged.
    Internal: callers are services that checked permission and hold the transaction."""
    old = component.status
    if old == status:
        return None
    span = ComponentStatusChange.objects.filter(component=component, ended_at__isnull=True).first()
    if span is not None:
        span.ended_at = at
        span.save(update_fields=["ended_at"])
        _add_to_days(component, span.status, span.started_at, at, span.public_incident)
    ComponentStatusChange.objects.create(
        component=component, status=status, started_at=at, public_incident=public_incident
    )
    component.status = status
    component.save(update_fields=["status", "updated_at"])
    emit(
        topic="component.updated",
        payload=component_payload(component, old, status),
        to_subscribers=True,
        component_ids=[component.pk],
    )
    return old, status


def _add_to_days(component, status, start, end, public_incident) -> None:
    field = uptime.DAY_COLUMNS.get(status)
    if field is None:
        return
    zone = timezone.get_default_timezone()
    for day, seconds in rules.split_by_day(start, end, zone):
        row, _ = ComponentDay.objects.get_or_create(component=component, date=day)
        setattr(row, field, getattr(row, field) + seconds)
        if public_incident is not None:
            entry = {"id": public_incident.public_id, "name": public_incident.name}
            if entry not in row.incidents:
                row.incidents = [*row.incidents, entry]
        row.save()


# `published` below: an incident's publication or a maintenance (both PublicIncident rows).


def _apply_components(published: PublicIncident, wanted: dict[Component, str], at) -> list[dict]:
    """Set the affected components' statuses; return Statuspage's `affected_components`."""
    changes = []
    for component, status in wanted.items():
        AffectedComponent.objects.update_or_create(
            public_incident=published, component=component, defaults={"status": status}
        )
        moved = component_status_set(
            component=component, status=status, at=at, public_incident=published
        )
        old = moved[0] if moved else status
        changes.append(
            {
                "code": component.public_id,
                "name": component.name,
                "old_status": old,
                "new_status": status,
            }
        )
    return changes


def _post_update(
    *, actor, source, published: PublicIncident, status, message, changes, notify, at
) -> PublicUpdate:
    update = PublicUpdate.objects.create(
        public_incident=published,
        status=status,
        body=message,
        affected_components=changes,
        deliver_notifications=notify,
        created_by=actor,
        created_at=at,
        display_at=at,
    )
    published.last_update_at = at
    published.updated_at = at
    published.save()
    if published.incident is not None:
        entry = record_entry(
            incident=published.incident,
            kind=EntryKind.PUBLIC_UPDATE,
            body=f"Published ({status}): {message}",
            actor=actor,
            source=source,
            data={
                "public_incident": published.public_id,
                "update": update.public_id,
                "status": status,
            },
        )
        entry.visibility = Visibility.PUBLIC
        entry.save(update_fields=["visibility"])
    if notify and published.notify_subscribers:
        emit(
            topic="incident.updated",
            payload=incident_payload(published, update),
            to_subscribers=True,
            component_ids=[a.component_id for a in published.affected.all()],
        )
    refresh_after_commit()
    return update


def _set_status_times(published: PublicIncident, status: str, at) -> None:
    published.status = status
    if status == "monitoring" and published.monitoring_at is None:
        published.monitoring_at = at
    if status in ("resolved", "completed"):
        published.resolved_at = at
    elif status not in ("postmortem",):
        published.resolved_at = None


def publication_create(
    *,
    actor,
    source: ActionSource,
    incident: Incident,
    name: str,
    message: str,
    status: str = "identified",
    components: Mapping | None = None,
    impact: str | None = None,
    workaround: str = "",
    workaround_url: str = "",
    notify_subscribers: bool = True,
    remind: bool = True,
    remind_interval_minutes: int | None = None,
    notify: bool | None = None,
    new_component: Mapping | None = None,
) -> PublicIncident:
    """Publish an internal incident on the status page. Only what is passed here becomes
    public: the name, the message, the workaround and the component statuses. The first
    status defaults to `identified`; the impact is derived from the components unless given;
    the reminder interval is the incident's severity's unless given. Subscribers are told of
    this first update when `notify` (default: `notify_subscribers`, whether they hear of the
    publication at all), so a publication can start quietly and tell them later.

    `new_component` ({name, group, status}) adds a missing component to the catalog and to
    this publication, for publishers who may manage components (403 naming `new_component`
    otherwise). The components given a status other than operational join the incident's
    components (affected.py states the rule)."""
    require(actor, Perm.STATUSPAGE_PUBLISH)
    if PublicIncident.objects.filter(incident=incident).exists():
        raise InvalidTransition(
            "this incident is already published; post an update", field="incident"
        )
    name = check_text(name, field="name", max_length=200, required=True)
    message = check_text(message, field="message", max_length=MESSAGE_MAX, required=True)
    status = _check_status(status, ("investigating", "identified", "monitoring"))
    wanted = _clean_components(components)
    impact = _check_impact(impact)
    workaround = check_text(workaround, field="workaround", max_length=MESSAGE_MAX)
    workaround_url = check_link_url(workaround_url, "workaround_url")
    if remind_interval_minutes is None:
        remind_interval_minutes = incident.severity.reminder_interval_minutes
    elif (
        not isinstance(remind_interval_minutes, int)
        or isinstance(remind_interval_minutes, bool)
        or not 5 <= remind_interval_minutes <= 1440
    ):
        raise ValidationError("give 5 to 1440 minutes", field="remind_interval_minutes")
    new = new_component_check(actor, new_component)
    now = timezone.now()
    with transaction.atomic():
        if new is not None:
            wanted[new_component_create(actor=actor, source=source, new=new)] = new.status
        publication = PublicIncident.objects.create(
            incident=incident,
            name=name,
            status=status,
            impact=rules.derive_impact(wanted.values()),
            impact_override=impact,
            workaround=workaround,
            workaround_url=workaround_url,
            notify_subscribers=notify_subscribers,
            remind_enabled=remind,
            remind_interval_minutes=remind_interval_minutes,
            created_by=actor,
            created_at=now,
            started_at=incident.started_at or incident.detected_at or now,
        )
        _set_status_times(publication, status, now)
        changes = _apply_components(publication, wanted, now)
        incident_takes_components(actor=actor, source=source, incident=incident, statuses=wanted)
        _post_update(
            actor=actor,
            source=source,
            published=publication,
            status=status,
            message=message,
            changes=changes,
            notify=notify_subscribers if notify is None else notify,
            at=now,
        )
    return publication


def publication_update(
    *,
    actor,
    source: ActionSource,
    public_incident: PublicIncident,
    message: str,
    status: str | None = None,
    components: Mapping | None = None,
    impact: str | None = None,
    workaround: str | None = None,
    workaround_url: str | None = None,
    notify: bool = True,
) -> PublicUpdate:
    """Post an update to a published incident: a message, optionally a new public status,
    component statuses, impact or workaround. Resolving goes through `publication_resolve`.
    Components given a status other than operational join the incident's components."""
    require(actor, Perm.STATUSPAGE_PUBLISH)
    publication = public_incident
    if publication.is_maintenance:
        raise InvalidTransition(
            "use the maintenance update for scheduled maintenance", field="status"
        )
    message = check_text(message, field="message", max_length=MESSAGE_MAX, required=True)
    if status is not None:
        status = _check_status(status, INCIDENT_STATUSES)
    wanted = _clean_components(components)
    impact = _check_impact(impact) if impact is not None else None
    now = timezone.now()
    with transaction.atomic():
        # The incident first (it is locked before its publication, as resolving does).
        incident_takes_components(
            actor=actor, source=source, incident=publication.incident, statuses=wanted
        )
        # Decide on the row as it is now, not as the caller last saw it.
        publication = PublicIncident.objects.select_for_update().get(pk=publication.pk)
        status = status or publication.status
        if publication.is_resolved and status != "postmortem":
            raise InvalidTransition("this publication is resolved", field="status")
        if workaround is not None:
            publication.workaround = check_text(
                workaround, field="workaround", max_length=MESSAGE_MAX
            )
        if workaround_url is not None:
            publication.workaround_url = check_link_url(workaround_url, "workaround_url")
        if impact is not None:
            publication.impact_override = impact
        _set_status_times(publication, status, now)
        changes = _apply_components(publication, wanted, now)
        publication.impact = rules.worse_impact(
            publication.impact, rules.derive_impact(a.status for a in publication.affected.all())
        )
        return _post_update(
            actor=actor,
            source=source,
            published=publication,
            status=status,
            message=message,
            changes=changes,
            notify=notify,
            at=now,
        )


def publication_resolve(
    *,
    actor,
    source: ActionSource,
    public_incident: PublicIncident,
    message: str,
    restore_components: bool = True,
    notify: bool = True,
) -> PublicUpdate:
    """Resolve a publication with a closing message. Its components go back to operational
    unless told otherwise; subscribers are told."""
    require(actor, Perm.STATUSPAGE_PUBLISH)
    public_incident.refresh_from_db()
    if public_incident.is_resolved:
        raise InvalidTransition("this publication is already resolved", field="status")
    components = (
        {
            a.component.public_id: "operational"
            for a in public_incident.affected.select_related("component")
        }
        if restore_components
        else None
    )
    return publication_update(
        actor=actor,
        source=source,
        public_incident=public_incident,
        message=message,
        status="resolved",
        components=components,
        notify=notify,
    )


def maintenance_schedule(
    *,
    actor,
    source: ActionSource,
    name: str,
    message: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: list | None = None,
    auto_transition: bool = True,
    remind_prior: bool = True,
    notify_subscribers: bool = True,
) -> PublicIncident:
    """Announce scheduled maintenance of some components."""
    require(actor, Perm.STATUSPAGE_MANAGE)
    return maintenance_write(
        actor=actor,
        source=source,
        name=name,
        message=message,
        scheduled_for=scheduled_for,
        scheduled_until=scheduled_until,
        components=components,
        auto_transition=auto_transition,
        remind_prior=remind_prior,
        notify_subscribers=notify_subscribers,
    )


def maintenance_write(
    *,
    actor,
    source: ActionSource,
    name: str,
    message: str,
    scheduled_for: datetime,
    scheduled_until: datetime,
    components: list | None = None,
    auto_transition: bool = True,
    remind_prior: bool = True,
    notify_subscribers: bool = True,
) -> PublicIncident:
    """The maintenance announcement itself. Internal: for services that checked their own
    permission (the decision-maker of a disaster opens the maintenance window of its move)."""
    name = check_text(name, field="name", max_length=200, required=True)
    message = check_text(message, field="message", max_length=MESSAGE_MAX, required=True)
    check_moment(scheduled_for, field="scheduled_for")
    check_moment(scheduled_until, field="scheduled_until")
    if scheduled_until <= scheduled_for:
        raise ValidationError("must be after scheduled_for", field="scheduled_until")
    targets = [component_by_key(c) for c in (components or [])]
    now = timezone.now()
    with transaction.atomic():
        maintenance = PublicIncident.objects.create(
            is_maintenance=True,
            name=name,
            status="scheduled",
            impact="maintenance",
            scheduled_for=scheduled_for,
            scheduled_until=scheduled_until,
            scheduled_auto_transition=auto_transition,
            scheduled_remind_prior=remind_prior,
            notify_subscribers=notify_subscribers,
            remind_enabled=False,
            created_by=actor,
            created_at=now,
            started_at=scheduled_for,
        )
        for component in targets:
            AffectedComponent.objects.create(
                public_incident=maintenance, component=component, status="under_maintenance"
            )
        _post_update(
            actor=actor,
            source=source,
            published=maintenance,
            status="scheduled",
            message=message,
            changes=[],
            notify=notify_subscribers,
            at=now,
        )
    return maintenance


def maintenance_update(
    *,
    actor,
    source: ActionSource,
    maintenance: PublicIncident,
    status: str,
    message: str,
    notify: bool = True,
) -> PublicUpdate:
    """Move maintenance along scheduled → in_progress → verifying → completed. In progress,
    its components are under maintenance; completed, they are operational again."""
    require_or_system(actor, source, Perm.STATUSPAGE_MANAGE)
    return maintenance_advance(
        actor=actor,
        source=source,
        maintenance=maintenance,
        status=status,
        message=message,
        notify=notify,
    )


def maintenance_advance(
    *,
    actor,
    source: ActionSource,
    maintenance: PublicIncident,
    status: str,
    message: str,
    notify: bool = True,
) -> PublicUpdate:
    """The move of `maintenance_update` itself. Internal: for services that checked their own
    permission (a disaster's decision-maker moves the window their move opened)."""
    if not maintenance.is_maintenance:
        raise InvalidTransition("this is not scheduled maintenance", field="status")
    status = _check_status(status, MAINTENANCE_STATUSES)
    message = check_text(message, field="message", max_length=MESSAGE_MAX, required=True)
    now = timezone.now()
    with transaction.atomic():
        maintenance = PublicIncident.objects.select_for_update().get(pk=maintenance.pk)
        current = maintenance.status
        order = MAINTENANCE_STATUSES.index
        if order(status) <= order(current):
            raise InvalidTransition(
                f"cannot go from {current} to {status}; maintenance moves forward: "
                + " → ".join(MAINTENANCE_STATUSES),
                field="status",
            )
        _set_status_times(maintenance, status, now)
        target = {"in_progress": "under_maintenance", "completed": "operational"}.get(status)
        changes = []
        if target:
            wanted = {a.component: target for a in maintenance.affected.select_related("component")}
            changes = _apply_components(maintenance, wanted, now)
        return _post_update(
            actor=actor,
            source=source,
            published=maintenance,
            status=status,
            message=message,
            changes=changes,
            notify=notify,
            at=now,
        )


def component_status_change(
    *, actor, source: ActionSource, component: Component, status: str
) -> Component:
    """Set a component's public status by hand (managers), outside any publication."""
    require(actor, Perm.STATUSPAGE_MANAGE)
    status = rules.check_component_status(status)
    with transaction.atomic():
        moved = component_status_set(component=component, status=status, at=timezone.now())
        if moved:
            refresh_after_commit()
    return component


def postmortem_publish_public(
    *, actor, source: ActionSource, public_incident: PublicIncident, body: str
) -> PublicIncident:
    """Show the public version of a postmortem on the status page (and as `postmortem_body` in
    the v2 API). A resolved publication moves to the `postmortem` status, as on Statuspage.
    Publishing a postmortem is a manager's decision, so this needs the same permission."""
    require_or_system(actor, source, Perm.POSTMORTEM_PUBLISH)
    body = check_text(body, field="postmortem_body", max_length=50_000, required=True)
    with transaction.atomic():
        publication = PublicIncident.objects.select_for_update().get(pk=public_incident.pk)
        now = timezone.now()
        publication.postmortem_body, publication.postmortem_published_at, publication.updated_at = (
            body,
            now,
            now,
        )
        if publication.status == "resolved":
            publication.status = "postmortem"
        publication.save()
        refresh_after_commit()
    return publication


def banner_set(
    *, actor, source: ActionSource, active: bool, message: str = "", kind: str = BannerKind.INFO
) -> PageSettings:
    """Show or hide the site-wide banner (e.g. maintenance or read-only during recovery)."""
    require(actor, Perm.STATUSPAGE_MANAGE)
    return banner_write(actor=actor, active=active, message=message, kind=kind)


def banner_write(*, actor, active: bool, message: str = "", kind: str = BannerKind.INFO):
    """The banner change itself. Internal: for services that checked their own permission
    (the decision-maker of a disaster shows its maintenance or read-only banner)."""
    message = check_text(message, field="message", max_length=500, required=active)
    if kind not in BannerKind.values:
        raise ValidationError(f"use one of {', '.join(BannerKind.values)}", field="kind")
    with transaction.atomic():
        page = PageSettings.load()
        page.banner_active, page.banner_message, page.banner_kind = active, message, kind
        page.banner_set_by = actor
        page.updated_at = timezone.now()
        page.save()
        refresh_after_commit()
    return page

"""The public side of a disaster: what the status page says when an affected system moves.

A move offers the matching public change (`public_preview`): the system's components' statuses,
the site banner, a maintenance window (moving to maintenance), a public update and whether
subscribers are told. The decision-maker reviews and edits it (`public_change_from_data` reads
the edited form or API body) and the state move applies it in its own transaction
(`public_apply`), through the status page services only, so the public site, its history and
the subscribers follow exactly as when someone publishes by hand. A drill never touches the
public site.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import (
    IncidentDeskError,
    NotAuthenticated,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.moments import check_moment
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component, ComponentStatus
from incidentdesk.recovery.models import AffectedSystem, SystemState
from incidentdesk.recovery.rules import DOWN
from incidentdesk.recovery.selectors import decision_maker_of
from incidentdesk.statuspage import rules as statuspage_rules
from incidentdesk.statuspage.models import BannerKind, PageSettings, PublicIncident
from incidentdesk.statuspage.services import (
    MESSAGE_MAX,
    banner_write,
    maintenance_advance,
    maintenance_write,
    publication_create,
    publication_update,
)

S = SystemState
BANNER_MAX = 500  # PageSettings.banner_message
FIELDS = (
    "components",
    "banner",
    "clear_banner",
    "message",
    "notify",
    "maintenance",
    "complete_maintenance",
)
# A maintenance window ends at most this far ahead (the preview's default, now + the system's
# RTO, is cut to it).
MAINTENANCE_LONGEST = timedelta(days=7)
# The banners a disaster shows; clearing one when every system is back leaves other banners be.
RECOVERY_BANNERS = (BannerKind.MAINTENANCE, BannerKind.READ_ONLY)

# What the system's components show publicly in each state (verifying: left as they are).
COMPONENT_STATUS: dict[str, str] = {
    S.MAINTENANCE: ComponentStatus.UNDER_MAINTENANCE,
    S.READ_ONLY: ComponentStatus.DEGRADED_PERFORMANCE,
    S.OFFLINE: ComponentStatus.MAJOR_OUTAGE,
    S.RESTORING: ComponentStatus.MAJOR_OUTAGE,
    S.RESTORED: ComponentStatus.OPERATIONAL,
    S.OPERATIONAL: ComponentStatus.OPERATIONAL,
}
# The suggested public words, `{what}` being the public name of what moved.
MESSAGE: dict[str, str] = {
    S.MAINTENANCE: "{what}: under maintenance while we recover from a disruption.",
    S.READ_ONLY: "{what}: read-only for now. Your data can be seen but not changed while we "
    "recover from a disruption.",
    S.OFFLINE: "{what}: offline while we recover from a disruption.",
    S.RESTORING: "{what}: we are restoring the service.",
    S.VERIFYING: "{what}: restored; we are checking it before opening it again.",
    S.RESTORED: "{what}: back in service.",
    S.OPERATIONAL: "{what}: working normally again.",
}
BANNER: dict[str, tuple[str, str]] = {
    S.MAINTENANCE: (
        BannerKind.MAINTENANCE,
        "{what} is under maintenance while we recover from a disruption.",
    ),
    S.READ_ONLY: (
        BannerKind.READ_ONLY,
        "{what} is read-only for now: you can see your data but not change it.",
    ),
}


@dataclass
class PublicChange:
    """A change of the public site that goes with a state move. `components`: component id →
    component status; `banner`: (kind, message) to show, or None to leave the banner as it is;
    `clear_banner`: hide the banner; `message`: the public update ("" for none; required with
    component changes); `notify`: tell subscribers about the update; `maintenance_until`: open
    a maintenance window of the system's components on the status page from now until then
    (None: no window); `complete_maintenance`: complete the window the system's move to
    maintenance opened (the move takes it out of maintenance)."""

    components: dict[int, str] = field(default_factory=dict)
    banner: tuple[str, str] | None = None
    clear_banner: bool = False
    message: str = ""
    notify: bool = False
    maintenance_until: datetime | None = None
    complete_maintenance: bool = False

    @property
    def empty(self) -> bool:
        return not (
            self.components
            or self.banner
            or self.clear_banner
            or self.message
            or self.maintenance_until
            or self.complete_maintenance
        )

    def data(self) -> dict:
        """The API/form shape (`public_change_from_data` reads it back)."""
        kind, message = self.banner or (None, None)
        return {
            "components": {str(pk): status for pk, status in self.components.items()},
            "banner": {"kind": kind, "message": message} if self.banner else None,
            "clear_banner": self.clear_banner,
            "message": self.message,
            "notify": self.notify,
            "maintenance": (
                {"until": self.maintenance_until.isoformat()} if self.maintenance_until else None
            ),
            "complete_maintenance": self.complete_maintenance,
        }


def public_name(affected: AffectedSystem) -> str:
    """What the public knows the system as: its components' public names (the system's own
    name is internal), or the system's name when it maps to none."""
    names = [c.name for c in affected.system.components.order_by("position", "name")]
    if not names:
        return affected.system.name
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _others_down(affected: AffectedSystem) -> bool:
    """Whether another system of a disaster still under way (not a drill) is out of service."""
    return (
        AffectedSystem.objects.filter(
            disaster__drill=False, disaster__resumed_at__isnull=True, state__in=DOWN
        )
        .exclude(pk=affected.pk)
        .exists()
    )


def public_preview(affected: AffectedSystem, to_state: str) -> PublicChange:
    """The public change that matches moving `affected` to `to_state`, for the decision-maker
    to review and edit before confirming. Moving to maintenance also offers a maintenance window
    from now until now + the system's RTO (at most MAINTENANCE_LONGEST). A drill's is empty:
    nothing of a drill is public."""
    if affected.disaster.drill or to_state not in S.values:
        return PublicChange()
    what = public_name(affected)
    status = COMPONENT_STATUS.get(to_state)
    components = {c.pk: str(status) for c in affected.system.components.all()} if status else {}
    banner = None
    if to_state in BANNER:
        kind, words = BANNER[to_state]
        banner = (str(kind), words.format(what=what))
    clear = False
    if to_state in (S.RESTORED, S.OPERATIONAL):
        page = PageSettings.load()
        clear = (
            page.banner_active
            and page.banner_kind in RECOVERY_BANNERS
            and not _others_down(affected)
        )
    until = None
    if to_state == S.MAINTENANCE:
        ahead = min(timedelta(minutes=affected.system.rto_minutes), MAINTENANCE_LONGEST)
        until = (timezone.now() + ahead).replace(second=0, microsecond=0)
    return PublicChange(
        components=components,
        banner=banner,
        clear_banner=clear,
        message=MESSAGE[to_state].format(what=what),
        notify=True,
        maintenance_until=until,
        complete_maintenance=to_state != S.MAINTENANCE and open_window(affected) is not None,
    )


def open_window(affected: AffectedSystem) -> PublicIncident | None:
    """The maintenance window the system's move to maintenance opened, while not completed."""
    window = affected.maintenance_window
    return window if window is not None and window.status != "completed" else None


# Applying ------------------------------------------------------------------------------------


def _renamed(error: IncidentDeskError, field: str) -> IncidentDeskError:
    """The same refusal, naming the field of the public change it is about."""
    return type(error)(error.message, field=field)


def _require(actor, perm: Perm, what: str) -> None:
    try:
        require(actor, perm)
    except (PermissionDenied, NotAuthenticated) as refused:
        raise type(refused)(f"{what}: {refused.message}", field="public") from None


def public_apply(
    *, actor, source: ActionSource, affected: AffectedSystem, change: PublicChange | None
) -> None:
    """Make `change` public, inside the caller's transaction: the incident's publication is
    created by the first public update (status identified) and updated after, the components
    set through it, the banner shown or hidden, the maintenance window opened. The status
    page's permissions apply to the actor (publishing for the update, managing the page for the
    banner and the window, which the decision-maker of the disaster may change whatever their
    role); a refusal names `public` and nothing of the change is written. A drill's change is
    never applied."""
    if change is None or change.empty or affected.disaster.drill:
        return
    if change.components and not change.message:
        raise ValidationError(
            "say publicly what changes with the components", field="public.message"
        )
    if change.message:
        _require(actor, Perm.STATUSPAGE_PUBLISH, "publishing the update")
    # The site banner is the status page managers' to change, and the decision-maker's for
    # the disaster they decide (its maintenance or read-only notice is part of their move).
    deciding = getattr(actor, "pk", None) == getattr(decision_maker_of(affected.disaster), "pk", 0)
    if (change.banner or change.clear_banner) and not deciding:
        _require(actor, Perm.STATUSPAGE_MANAGE, "changing the site banner")
    if (change.maintenance_until or change.complete_maintenance) and not deciding:
        _require(actor, Perm.STATUSPAGE_MANAGE, "opening or completing a maintenance window")
    until = _until(change.maintenance_until) if change.maintenance_until else None
    with transaction.atomic():
        # First, so the components it makes operational take the update's statuses after it.
        window = open_window(affected) if change.complete_maintenance else None
        if window is not None:
            maintenance_advance(
                actor=actor,
                source=source,
                maintenance=window,
                status="completed",
                message=f"The maintenance of {public_name(affected)} is over.",
                notify=change.notify,
            )
        if change.message:
            _publish(actor=actor, source=source, affected=affected, change=change)
        if change.banner:
            kind, message = change.banner
            try:
                banner_write(actor=actor, active=True, message=message, kind=kind)
            except ValidationError as refused:
                raise _renamed(refused, f"public.banner.{refused.field or 'message'}") from None
        elif change.clear_banner:
            banner_write(actor=actor, active=False)
        if until:
            _open_window(actor=actor, source=source, affected=affected, change=change, until=until)


def _open_window(
    *, actor, source, affected: AffectedSystem, change: PublicChange, until: datetime
) -> None:
    """The maintenance window of the system's components, from now until the change says. It
    does not move by itself (no auto transition): the disaster's moves set the components, and
    the window's end would otherwise mark them operational while the system may still be down."""
    what = public_name(affected)
    try:
        window = maintenance_write(
            actor=actor,
            source=source,
            name=f"Maintenance of {what}",
            message=change.message or MESSAGE[S.MAINTENANCE].format(what=what),
            scheduled_for=timezone.now(),
            scheduled_until=until,
            components=[c.public_id for c in affected.system.components.all()],
            auto_transition=False,
            remind_prior=False,
            notify_subscribers=False,  # the update tells them: one message a move
        )
    except ValidationError as refused:
        if refused.field in ("scheduled_for", "scheduled_until"):
            raise _renamed(refused, "public.maintenance.until") from None
        raise type(refused)(f"the status page: {refused.message}", field="public") from None
    # Under way now: the status page shows it in progress, the components under maintenance.
    maintenance_advance(
        actor=actor,
        source=source,
        maintenance=window,
        status="in_progress",
        message=change.message or MESSAGE[S.MAINTENANCE].format(what=what),
        notify=False,
    )
    affected.maintenance_window = window
    affected.save(update_fields=["maintenance_window"])


def _publish(*, actor, source, affected: AffectedSystem, change: PublicChange) -> None:
    incident = affected.disaster.incident
    found = {c.pk: c for c in Component.objects.filter(pk__in=change.components)}
    for pk in change.components:
        if pk not in found:
            raise ValidationError(f"no component {pk}", field=f"public.components.{pk}")
    components = {found[pk].public_id: status for pk, status in change.components.items()}
    # Every component back to operational: the fix is in, and the page watches (monitoring);
    # anything still down: the cause is known (identified); no components: the status stays.
    back = bool(components) and all(s == ComponentStatus.OPERATIONAL for s in components.values())
    status = "monitoring" if back else "identified" if components else None
    publication = PublicIncident.objects.filter(incident=incident).first()
    try:
        if publication is None:
            publication_create(
                actor=actor,
                source=source,
                incident=incident,
                name=f"Disruption of {public_name(affected)}",
                message=change.message,
                status=status or "identified",
                components=components,
                notify=change.notify,
            )
        else:
            publication_update(
                actor=actor,
                source=source,
                public_incident=publication,
                message=change.message,
                status=status,
                components=components,
                notify=change.notify,
            )
    except IncidentDeskError as refused:
        name = refused.field or ""
        if name.startswith("components."):
            by_public_id = {c.public_id: pk for pk, c in found.items()}
            key = by_public_id.get(name.removeprefix("components."), "")
            raise _renamed(refused, f"public.components.{key}") from None
        if name == "message":
            raise _renamed(refused, "public.message") from None
        if isinstance(refused, (PermissionDenied, NotAuthenticated)):
            raise _renamed(refused, "public") from None
        # The publication is resolved, or its words refused: about the public change as a whole.
        raise type(refused)(f"the status page: {refused.message}", field="public") from None


# Reading the form or API body ----------------------------------------------------------------


def _component(key, affected: AffectedSystem) -> Component:
    """A component by id or by name (the system's own components first)."""
    field_name = f"public.components.{key}"
    text = str(key).strip()
    if text.isdigit():
        found = Component.objects.filter(pk=int(text)).first()
    else:
        found = (
            affected.system.components.filter(name__iexact=text).first()
            or Component.objects.filter(name__iexact=text).first()
            or Component.objects.filter(public_id=text).first()
        )
    if found is None:
        raise ValidationError(f"no component {text!r}", field=field_name)
    return found


def _flag(data: Mapping, name: str, default: bool) -> bool:
    value = data.get(name, default)
    if not isinstance(value, bool):
        raise ValidationError("must be true or false", field=f"public.{name}")
    return value


def public_change_from_data(data, affected: AffectedSystem) -> PublicChange:
    """Read a public change in the API/web form shape: `{"components": {"<id or name>": status},
    "banner": {"kind": …, "message": …} | null, "clear_banner": bool, "message": str,
    "notify": bool, "maintenance": {"until": "<ISO 8601 time>"} | null}` (every key optional;
    `notify` defaults to true, as the preview offers). A refusal names the part:
    `public.components.<name>`, `public.banner.kind`, `public.maintenance.until`, …"""
    if not isinstance(data, Mapping):
        raise ValidationError("give the public change as an object", field="public")
    unknown = sorted(str(key) for key in data if key not in FIELDS)
    if unknown:
        raise ValidationError(
            f"unknown part; use {', '.join(FIELDS)}", field=f"public.{unknown[0]}"
        )
    raw = data.get("components") or {}
    if not isinstance(raw, Mapping):
        raise ValidationError("give components as {id or name: status}", field="public.components")
    components: dict[int, str] = {}
    for key, status in raw.items():
        component = _component(key, affected)
        if not isinstance(status, str):
            raise ValidationError("must be a component status", field=f"public.components.{key}")
        components[component.pk] = statuspage_rules.check_component_status(
            status, field=f"public.components.{key}"
        )
    banner = _banner(data.get("banner"))
    clear_banner = _flag(data, "clear_banner", False)
    if banner and clear_banner:
        raise ValidationError(
            "either show a banner or clear it, not both", field="public.clear_banner"
        )
    message = check_text(data.get("message"), field="public.message", max_length=MESSAGE_MAX)
    maintenance = data.get("maintenance")
    if maintenance is not None and not isinstance(maintenance, Mapping):
        raise ValidationError(
            "give the maintenance window as {until} or null", field="public.maintenance"
        )
    if components and not message:
        raise ValidationError(
            "say publicly what changes with the components", field="public.message"
        )
    return PublicChange(
        components=components,
        banner=banner,
        clear_banner=clear_banner,
        message=message,
        notify=_flag(data, "notify", True),
        maintenance_until=None if maintenance is None else _until(maintenance.get("until")),
        complete_maintenance=_flag(data, "complete_maintenance", False),
    )


def _until(value) -> datetime:
    """The end of a maintenance window: a time (ISO 8601 text; without a zone, in TIME_ZONE)
    in the future, at most MAINTENANCE_LONGEST ahead."""
    field_name = "public.maintenance.until"
    parsed = value
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value.strip())
        except ValueError:
            parsed = None
        if parsed is not None and timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
    if not isinstance(parsed, datetime):
        raise ValidationError(
            "must be a date and time, e.g. 2026-05-01T10:30:00+02:00", field=field_name
        )
    until = check_moment(parsed, field=field_name)
    now = timezone.now()
    if until <= now:
        raise ValidationError("must be in the future", field=field_name)
    if until > now + MAINTENANCE_LONGEST:
        raise ValidationError(
            f"must be at most {MAINTENANCE_LONGEST.days} days ahead", field=field_name
        )
    return until


def _banner(value) -> tuple[str, str] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError("give the banner as {kind, message} or null", field="public.banner")
    kind = value.get("kind")
    if kind not in BannerKind.values:
        raise ValidationError(
            f"unknown banner kind {kind!r}; use one of {', '.join(BannerKind.values)}",
            field="public.banner.kind",
        )
    message = check_text(
        value.get("message"), field="public.banner.message", max_length=BANNER_MAX, required=True
    )
    return kind, message

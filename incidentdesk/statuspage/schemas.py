"""API shapes for publishing (the internal side of the status page)."""

from datetime import datetime

from ninja import Schema

from incidentdesk.core.schemas import Moment, Strict


class NewComponentIn(Strict):
    name: str
    group: str | None = None  # a top-level component's name or id
    status: str = "degraded_performance"


class PublicationIn(Strict):
    name: str
    message: str
    status: str = "identified"
    components: dict[str, str] = {}
    impact: str | None = None
    workaround: str = ""
    workaround_url: str = ""
    notify_subscribers: bool = True
    remind: bool = True
    remind_interval_minutes: int | None = None  # None: the severity's reminder interval
    # A missing component, added to the catalog and to this publication (managers).
    new_component: NewComponentIn | None = None


class PublicUpdateIn(Strict):
    message: str
    status: str | None = None
    components: dict[str, str] | None = None
    impact: str | None = None
    workaround: str | None = None
    workaround_url: str | None = None
    notify: bool = True


class ResolveIn(Strict):
    message: str
    restore_components: bool = True
    notify: bool = True


class MaintenanceIn(Strict):
    name: str
    message: str
    scheduled_for: Moment
    scheduled_until: Moment
    components: list[str] = []
    auto_transition: bool = True
    remind_prior: bool = True
    notify_subscribers: bool = True


class MaintenanceUpdateIn(Strict):
    status: str
    message: str
    notify: bool = True


class ComponentStatusIn(Strict):
    status: str


class BannerIn(Strict):
    active: bool
    message: str = ""
    kind: str = "info"


class BannerOut(Schema):
    active: bool
    message: str
    kind: str


class PageSettingsIn(Strict):
    name: str


class PageSettingsOut(Schema):
    name: str
    logo_url: str | None  # root-relative, on the public site; None without a logo
    logo_width: int | None
    logo_height: int | None


class PublicUpdateOut(Schema):
    id: str
    status: str
    body: str
    created_at: datetime
    affected_components: list

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.public_id


class PublicationOut(Schema):
    id: str
    incident: str | None
    is_maintenance: bool
    name: str
    status: str
    impact: str
    workaround: str
    workaround_url: str
    notify_subscribers: bool
    remind_enabled: bool
    remind_interval_minutes: int
    scheduled_for: datetime | None
    scheduled_until: datetime | None
    created_at: datetime
    resolved_at: datetime | None
    public_url: str
    components: dict[str, str]
    updates: list[PublicUpdateOut]

    @staticmethod
    def resolve_id(obj) -> str:
        return obj.public_id

    @staticmethod
    def resolve_incident(obj) -> str | None:
        return obj.incident.reference if obj.incident_id else None

    @staticmethod
    def resolve_impact(obj) -> str:
        return obj.impact_override or obj.impact

    @staticmethod
    def resolve_public_url(obj) -> str:
        return f"/incidents/{obj.public_id}"

    @staticmethod
    def resolve_components(obj) -> dict[str, str]:
        return {a.component.name: a.status for a in obj.affected.all()}

    @staticmethod
    def resolve_updates(obj) -> list:
        return list(obj.updates.all())

"""Integration, alert group and route endpoints of the JSON API (/api/v1): parse, call the
service, render."""

from datetime import datetime
from typing import Any, Literal

from ninja import Query, Router, Schema, Status
from ninja.pagination import paginate

from incidentdesk.alerts import routes, selectors, services
from incidentdesk.core.pagination import Page
from incidentdesk.core.schemas import Clean, Strict
from incidentdesk.core.sources import ActionSource

router = Router(tags=["alerts"])
API = ActionSource.API


class IntegrationIn(Strict):
    kind: str
    name: str
    signed: bool = False


class IntegrationOut(Schema):
    id: int
    kind: str
    name: str
    key_id: str
    signed: bool
    created_by: str | None
    created_at: datetime
    revoked_at: datetime | None


class NewIntegrationOut(IntegrationOut):
    url: str
    secret: str
    signing_secret: str


@router.get("/integrations", response=list[IntegrationOut])
def list_integrations(request):
    return [selectors.integration_data(i) for i in selectors.integrations_for(request.auth)]


@router.post("/integrations", response={201: NewIntegrationOut})
def create_integration(request, payload: IntegrationIn):
    integration, key = services.integration_create(actor=request.auth, source=API, **payload.dict())
    return Status(
        201,
        {
            **selectors.integration_data(integration),
            "url": services.intake_url(integration, key),
            "secret": key,
            "signing_secret": integration.signing_secret(),
        },
    )


@router.post("/integrations/{integration_id}/revoke", response=IntegrationOut)
def revoke_integration(request, integration_id: int):
    integration = services.integration_revoke(
        actor=request.auth, source=API, integration_id=integration_id
    )
    return selectors.integration_data(integration)


# Alert groups ------------------------------------------------------------------------------


class GroupFilters(Clean):
    status: Literal["open", "firing", "acknowledged", "resolved", "any"] = "open"
    integration: int | None = None


class AlertOut(Schema):
    key: str
    status: str
    summary: str
    severity: str
    starts_at: datetime | None
    ends_at: datetime | None
    labels: dict[str, Any]
    annotations: dict[str, Any]
    source_url: str
    count: int
    first_received_at: datetime
    last_received_at: datetime


class GroupOut(Schema):
    id: int
    integration: int
    integration_name: str
    group_key: str
    status: str
    summary: str
    severity: str
    labels: dict[str, Any]
    first_seen_at: datetime
    last_seen_at: datetime
    resolved_at: datetime | None
    alert_count: int
    incident: str | None


class GroupDetailOut(GroupOut):
    alerts: list[AlertOut]


class _Shown:
    """A queryset the pager counts and slices, each item of the slice shown by `show`: only
    the page asked for is turned into data."""

    def __init__(self, queryset, show) -> None:
        self.queryset, self.show = queryset, show

    def all(self):
        return self.queryset

    def __getitem__(self, items: slice) -> list:
        return [self.show(item) for item in self.queryset[items]]


@router.get("/alert-groups", response=list[GroupOut])
@paginate(Page)
def list_groups(request, filters: Query[GroupFilters]):
    status = "" if filters.status == "any" else filters.status
    groups = selectors.groups_for(request.auth, status=status, integration=filters.integration)
    return _Shown(groups, selectors.group_data)


@router.get("/alert-groups/{group_id}", response=GroupDetailOut)
def get_group(request, group_id: int):
    return selectors.group_data(selectors.group_for(request.auth, group_id), alerts=True)


@router.post("/alert-groups/{group_id}/acknowledge", response=GroupDetailOut)
def acknowledge_group(request, group_id: int):
    services.group_acknowledge(actor=request.auth, source=API, group_id=group_id)
    return selectors.group_data(selectors.group_for(request.auth, group_id), alerts=True)


@router.post("/alert-groups/{group_id}/resolve", response=GroupDetailOut)
def resolve_group(request, group_id: int):
    services.group_resolve(actor=request.auth, source=API, group_id=group_id)
    return selectors.group_data(selectors.group_for(request.auth, group_id), alerts=True)


# Routes ------------------------------------------------------------------------------------


class RouteIn(Strict):
    """A new route; the service checks the values and names the field it refuses."""

    integration: int | None = None
    position: int = 0
    name: str = ""
    matchers: list[Any] = []
    action: str = "record"
    severity: str | None = None
    components: list[int | str] = []
    pages: bool = False
    policy: int | str | None = None


class RoutePatch(Strict):
    """The fields to change; those left out stay (`null` is sent on, for the service to judge)."""

    integration: int | None = None
    position: int | None = None
    name: str | None = None
    matchers: list[Any] | None = None
    action: str | None = None
    severity: str | None = None
    components: list[int | str] | None = None
    pages: bool | None = None
    policy: int | str | None = None


class RouteOut(Schema):
    id: int
    integration: int | None
    position: int
    name: str
    matchers: list[dict[str, str]]
    action: str
    severity: str | None
    components: list[str]
    pages: bool
    policy: str | None
    author: str | None
    created_at: datetime


@router.get("/routes", response=list[RouteOut])
def list_routes(request):
    return [selectors.route_data(r) for r in selectors.routes_for_admin(request.auth)]


@router.post("/routes", response={201: RouteOut})
def create_route(request, payload: RouteIn):
    route = routes.route_create(actor=request.auth, source=API, **payload.dict(exclude_unset=True))
    return Status(201, selectors.route_data(route))


@router.patch("/routes/{route_id}", response=RouteOut)
def update_route(request, route_id: int, payload: RoutePatch):
    route = routes.route_update(
        actor=request.auth, source=API, route_id=route_id, **payload.dict(exclude_unset=True)
    )
    return selectors.route_data(route)


@router.delete("/routes/{route_id}", response={204: None})
def delete_route(request, route_id: int):
    routes.route_delete(actor=request.auth, source=API, route_id=route_id)
    return Status(204, None)

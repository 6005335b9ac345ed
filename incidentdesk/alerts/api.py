"""Integration and route endpoints of the JSON API (/api/v1): parse, call the service, render."""

from datetime import datetime
from typing import Any

from ninja import Router, Schema, Status

from incidentdesk.alerts import routes, selectors, services
from incidentdesk.core.schemas import Strict
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

"""Integration endpoints of the JSON API (/api/v1): parse, call the service, render."""

from datetime import datetime

from ninja import Router, Schema, Status

from incidentdesk.alerts import selectors, services
from incidentdesk.alerts.models import Integration
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


def _shown(integration: Integration) -> dict:
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


@router.get("/integrations", response=list[IntegrationOut])
def list_integrations(request):
    return [_shown(i) for i in selectors.integrations_for(request.auth)]


@router.post("/integrations", response={201: NewIntegrationOut})
def create_integration(request, payload: IntegrationIn):
    integration, key = services.integration_create(actor=request.auth, source=API, **payload.dict())
    return Status(
        201,
        {
            **_shown(integration),
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
    return _shown(integration)

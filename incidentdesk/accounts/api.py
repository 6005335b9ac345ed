"""Account endpoints: who am I, and my API tokens."""

from datetime import datetime

from ninja import Router, Schema, Status

from incidentdesk.accounts import services
from incidentdesk.accounts.models import ApiToken
from incidentdesk.core.schemas import Strict
from incidentdesk.core.sources import ActionSource

router = Router(tags=["accounts"])


class MeOut(Schema):
    username: str
    email: str
    name: str
    role: str

    @staticmethod
    def resolve_name(obj) -> str:
        return obj.display_name

    @staticmethod
    def resolve_role(obj) -> str:
        return obj.effective_role


class TokenIn(Strict):
    name: str
    scope: str = "read"


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str


@router.get("/me", response=MeOut)
def me(request):
    return request.auth


@router.get("/tokens", response=list[TokenOut])
def list_tokens(request):
    return ApiToken.objects.filter(user=request.auth)


@router.post("/tokens", response={201: NewTokenOut})
def create_token(request, payload: TokenIn):
    token, plain = services.token_create(
        actor=request.auth,
        source=ActionSource.API,
        user=request.auth,
        name=payload.name,
        scope=payload.scope,
    )
    shown = TokenOut.model_validate(token).model_dump()
    return Status(201, NewTokenOut(**shown, token=plain))


@router.delete("/tokens/{token_id}", response=TokenOut)
def revoke_token(request, token_id: int):
    return services.token_revoke(actor=request.auth, source=ActionSource.API, token_id=token_id)

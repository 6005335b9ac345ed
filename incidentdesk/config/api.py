"""The JSON API at /api/v1/: one NinjaAPI, token or session auth, one place mapping errors."""

import logging

from django.conf import settings
from django.db import DataError
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.security import HttpBearer, SessionAuth
from ninja.utils import check_csrf

from incidentdesk.accounts.models import TokenScope
from incidentdesk.accounts.services import token_authenticate
from incidentdesk.core.errors import IncidentDeskError, NotAuthenticated, PermissionDenied

logger = logging.getLogger(__name__)


READ_METHODS = ("GET", "HEAD", "OPTIONS")


class BearerToken(HttpBearer):
    """`Authorization: Bearer <token>`. A token that is not live is a 401 at once (never a
    fall-back to the session), and a read-scoped token is a 403 on every write method before
    the body is even read, so the answer does not depend on what the body holds."""

    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is None:
            raise NotAuthenticated(
                "the token in 'Authorization: Bearer <token>' is unknown or revoked, or its "
                "account is deactivated"
            )
        if request.method not in READ_METHODS and user.token_scope != TokenScope.WRITE:
            raise PermissionDenied("this API token is read-only; writes need a write token")
        request.user = user
        return user


class SignedInSession(SessionAuth):
    """A signed-in browser, only when no Authorization header was sent. Its writes need
    Django's CSRF token; a request with neither a session nor a token is a 401 (Django's CSRF
    check used to answer it first, with a 403)."""

    def __call__(self, request):
        if "Authorization" in request.headers or not request.user.is_authenticated:
            return None
        if check_csrf(request):
            raise PermissionDenied(
                "CSRF check failed: a signed-in browser sends the csrftoken cookie's value in "
                "an X-CSRFToken header on writes (or use a bearer token)"
            )
        return request.user


api = NinjaAPI(
    title="IncidentDesk API",
    version="1",
    description="Declare, coordinate and record incidents. Authenticate with "
    "`Authorization: Bearer <token>`; errors are JSON with a `detail` naming the field.",
    auth=[BearerToken(), SignedInSession()],
    urls_namespace="api",
)


def _error(request, status: int, detail: str, field: str | None = None, **extra):
    response = api.create_response(
        request, {"detail": detail, "field": field, **extra}, status=status
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(IncidentDeskError)
def on_domain_error(request, exc: IncidentDeskError):
    return _error(request, exc.status_code, exc.detail, exc.field)


def _location(loc) -> str:
    """The field an error is about: `title`, `components.0`. Pydantic adds the member type of a
    union (`severity.str`) after the field name; that tag is left out."""
    parts = [p for p in loc if p not in ("body", "payload", "query", "path", "filters")]
    if not parts:
        return "body"
    return ".".join([str(parts[0]), *(str(p) for p in parts[1:] if isinstance(p, int))])


def _message(error: dict) -> str:
    """Pydantic's message, without the "Value error, " it puts before a validator's own words
    (ours already read as a sentence about the field)."""
    return str(error.get("msg", "is invalid")).removeprefix("Value error, ")


@api.exception_handler(SchemaValidationError)
def on_schema_error(request, exc: SchemaValidationError):
    errors = [{"field": _location(e.get("loc", ())), "message": _message(e)} for e in exc.errors]
    first = errors[0] if errors else {"field": "body", "message": "is invalid"}
    detail = f"{first['field']}: {first['message']}"
    return _error(request, 422, detail, first["field"], errors=errors)


@api.exception_handler(DataError)
def on_data_error(request, exc: DataError):
    # The last line of defence: services validate input, but a value the database still refuses
    # (out of range, unstorable text) is the caller's input, not a server fault.
    logger.warning("database refused a value on %s: %s", request.path, exc)
    return _error(request, 422, "a value is out of range or cannot be stored")


@api.exception_handler(AuthenticationError)
def on_auth_error(request, exc):
    return _error(request, 401, "authenticate with 'Authorization: Bearer <token>' or sign in")


@api.exception_handler(Http404)
def on_not_found(request, exc):
    return _error(request, 404, str(exc) or "not found")


@api.exception_handler(HttpError)
def on_http_error(request, exc: HttpError):
    if str(exc).startswith("Cannot parse request body"):
        return _error(request, 400, "body: is not valid JSON", "body")
    return _error(request, exc.status_code, str(exc))


def _register_routers() -> None:
    from incidentdesk.accounts.api import router as accounts_router
    from incidentdesk.alerts.api import router as alerts_router
    from incidentdesk.alerts.reports_api import router as reports_router
    from incidentdesk.incidents.api import router as incidents_router
    from incidentdesk.insights.api import router as insights_router
    from incidentdesk.oncall.api import router as oncall_router
    from incidentdesk.oncall.paging_api import router as paging_router
    from incidentdesk.postmortems.api import router as postmortems_router
    from incidentdesk.recovery.api import router as recovery_router
    from incidentdesk.search.api import router as search_router
    from incidentdesk.search.similar_api import router as similar_router
    from incidentdesk.statuspage.api import router as statuspage_router

    api.add_router("/", incidents_router)
    api.add_router("/", accounts_router)
    api.add_router("/", statuspage_router)
    api.add_router("/", insights_router)
    api.add_router("/", postmortems_router)
    api.add_router("/", alerts_router)
    api.add_router("/", reports_router)
    api.add_router("/", oncall_router)
    api.add_router("/", paging_router)
    api.add_router("/", recovery_router)
    api.add_router("/", search_router)
    api.add_router("/", similar_router)
    if settings.BENCH_FLOOR:
        from incidentdesk.config.bench_floor import router as bench_router

        api.add_router("/", bench_router)


_register_routers()

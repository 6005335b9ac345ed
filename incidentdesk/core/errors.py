"""The one error tree. Services raise these; each adapter maps them in one place.

Every error carries a human message and, where it is about one input, the field it names.
"""


class IncidentDeskError(Exception):
    """Base of every expected, user-facing error."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

    @property
    def detail(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


class ValidationError(IncidentDeskError):
    """Input is malformed or breaks a rule about a single value."""

    status_code = 422


class InvalidTransition(IncidentDeskError):
    """The requested change does not fit the current state (e.g. a status transition)."""

    status_code = 409


class NotFound(IncidentDeskError):
    status_code = 404


class PermissionDenied(IncidentDeskError):
    status_code = 403


class NotAuthenticated(IncidentDeskError):
    status_code = 401


class RateLimited(IncidentDeskError):
    """Too many requests from one client; try again later."""

    status_code = 429

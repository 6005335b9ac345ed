import pytest

from incidentdesk.accounts.models import ApiToken, User
from incidentdesk.incidents.models import (
    ActionItem,
    Component,
    Incident,
    RoleAssignment,
    Severity,
    TimelineEntry,
    TimelineRevision,
)

COUNTED = (
    Incident,
    TimelineEntry,
    TimelineRevision,
    RoleAssignment,
    ActionItem,
    Component,
    Severity,
    User,
    ApiToken,
)


@pytest.fixture
def rita(api_client, responder):
    """A responder's API client (write-scoped token)."""
    return api_client(responder)


@pytest.fixture
def boss(api_client, admin):
    return api_client(admin)


@pytest.fixture
def incident(declare):
    return declare(summary="Payments fail", severity="major")


@pytest.fixture
def db_state():
    """`db_state()` gives the rows that matter, to show a refused write changed nothing."""

    def state():
        rows = {m.__name__: list(m.objects.order_by("pk").values()) for m in COUNTED}
        for token in rows["ApiToken"]:
            del token["last_used_at"]  # using a token is not a write of the request's own
        return rows

    return state

"""What the recovery tests share: an admin's systems catalog (Billing owned by olga, Search
owned by sam) and, once declared, a disaster on an incident with olga as its decision-maker."""

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.recovery.models import (
    AffectedSystem,
    Disaster,
    Proposal,
    RunbookStep,
    StateChange,
    System,
)
from incidentdesk.recovery.systems import system_create
from tests.factories import ComponentFactory, UserFactory

WEB = ActionSource.WEB


@pytest.fixture
def olga(db):
    """Billing's owner: the default decision-maker of its disasters."""
    return UserFactory(username="olga", first_name="Olga", role=Role.RESPONDER)


@pytest.fixture
def sam(db):
    return UserFactory(username="sam", first_name="Sam", role=Role.RESPONDER)


@pytest.fixture
def billing(admin, olga):
    return system_create(
        actor=admin,
        source=WEB,
        name="Billing",
        owner=olga,
        rto_minutes=60,
        rpo_minutes=15,
        components=[ComponentFactory(name="Invoices"), ComponentFactory(name="Payments API")],
    )


@pytest.fixture
def search(admin, sam):
    return system_create(
        actor=admin, source=WEB, name="Search", owner=sam, rto_minutes=240, rpo_minutes=1440
    )


RECOVERY_ROWS = (System, Disaster, AffectedSystem, StateChange, Proposal, RunbookStep)


@pytest.fixture
def recovery_state(db_state):
    """`recovery_state()`: the rows that matter (the incidents' and recovery's), to show a
    refused write changed nothing."""

    def state():
        rows = db_state()
        for model in RECOVERY_ROWS:
            rows[model.__name__] = list(model.objects.order_by("pk").values())
        rows["System.components"] = list(System.components.through.objects.order_by("pk").values())
        return rows

    return state


@pytest.fixture
def disaster(incident, responder, billing):
    """The incident declared a disaster of Billing by a responder: olga, Billing's owner,
    decides."""
    from incidentdesk.recovery.services import disaster_declare

    return disaster_declare(actor=responder, source=WEB, incident=incident, systems=["Billing"])


@pytest.fixture
def affected(disaster):
    """Billing in the disaster (operational)."""
    return disaster.systems.get()

"""The systems catalog: admins write it; bad input is refused naming the field, storing
nothing."""

import pytest

from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.recovery.models import AffectedSystem, Disaster, RunbookTemplate, System
from incidentdesk.recovery.systems import (
    UNSET,
    system_create,
    system_delete,
    system_lookup,
    system_update,
)
from tests.factories import ComponentFactory
from tests.recovery.conftest import WEB

pytestmark = pytest.mark.django_db


def make(actor, **fields):
    fields = {"name": "Ledger", "owner": "olga", "rto_minutes": 30, "rpo_minutes": 5} | fields
    return system_create(actor=actor, source=WEB, **fields)


def test_an_admin_catalogs_a_system_with_its_owner_objectives_and_components(admin, olga):
    invoices = ComponentFactory(name="Invoices")
    api = ComponentFactory(name="Payments API")
    system = make(
        admin,
        owner="olga",
        rto_minutes=60,
        rpo_minutes=15,
        description="Invoices and payments",
        components=[invoices.pk, "payments api"],
    )
    system.refresh_from_db()
    assert (system.name, system.owner, system.rto_minutes, system.rpo_minutes) == (
        "Ledger",
        olga,
        60,
        15,
    )
    assert system.description == "Invoices and payments"
    assert set(system.components.all()) == {invoices, api}


def test_the_owner_can_be_given_as_a_user_or_an_id(admin, olga):
    assert make(admin, name="A", owner=olga).owner == olga
    assert make(admin, name="B", owner=olga.pk).owner == olga


@pytest.mark.parametrize("role_fixture", ["responder", "manager"])
def test_only_admins_write_the_catalog(request, role_fixture, olga, recovery_state):
    actor = request.getfixturevalue(role_fixture)
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        make(actor)
    assert recovery_state() == before


@pytest.mark.parametrize(
    "fields, field",
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "Bad\x00name"}, "name"),
        ({"name": "billing"}, "name"),  # Billing exists: case makes no other system
        ({"owner": "nobody"}, "owner"),
        ({"owner": None}, "owner"),
        ({"owner": 99999}, "owner"),
        ({"rto_minutes": 0}, "rto_minutes"),
        ({"rto_minutes": 525_601}, "rto_minutes"),
        ({"rto_minutes": "60"}, "rto_minutes"),
        ({"rto_minutes": True}, "rto_minutes"),
        ({"rpo_minutes": -1}, "rpo_minutes"),
        ({"rpo_minutes": 1.5}, "rpo_minutes"),
        ({"description": "d" * 301}, "description"),
        ({"components": ["No such part"]}, "components"),
        ({"components": "Invoices"}, "components"),
        ({"components": [None]}, "components"),
    ],
)
def test_bad_input_is_refused_naming_the_field_and_stores_nothing(
    admin, olga, billing, recovery_state, fields, field
):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        make(admin, **fields)
    assert refused.value.field == field
    assert recovery_state() == before


def test_a_deactivated_owner_is_refused(admin, olga):
    olga.is_active = False
    olga.save()
    with pytest.raises(ValidationError) as refused:
        make(admin)
    assert refused.value.field == "owner"
    assert "deactivated" in refused.value.message


def test_objectives_take_one_minute_to_a_year(admin, olga):
    system = make(admin, rto_minutes=1, rpo_minutes=525_600)
    assert (system.rto_minutes, system.rpo_minutes) == (1, 525_600)


def test_an_update_changes_only_what_is_given(admin, billing, sam):
    system_update(actor=admin, source=WEB, system=billing, owner="sam", rto_minutes=90)
    billing.refresh_from_db()
    assert (billing.owner, billing.rto_minutes, billing.rpo_minutes, billing.name) == (
        sam,
        90,
        15,
        "Billing",
    )
    assert billing.components.count() == 2


def test_an_update_replaces_the_components_and_may_keep_the_name_in_another_case(admin, billing):
    system_update(actor=admin, source=WEB, system=billing, name="BILLING", components=[])
    billing.refresh_from_db()
    assert billing.name == "BILLING"
    assert billing.components.count() == 0


def test_an_update_refuses_another_systems_name_and_changes_nothing(
    admin, billing, search, recovery_state
):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        system_update(actor=admin, source=WEB, system=search, name="billing", rto_minutes=5)
    assert refused.value.field == "name"
    assert recovery_state() == before


def test_a_bad_value_late_in_an_update_leaves_the_earlier_ones_unwritten(
    admin, billing, recovery_state
):
    before = recovery_state()
    with pytest.raises(ValidationError) as refused:
        system_update(
            actor=admin, source=WEB, system=billing, components=[], rpo_minutes=0, name="New"
        )
    assert refused.value.field == "rpo_minutes"
    assert recovery_state() == before


def test_only_admins_update_or_delete(responder, billing, recovery_state):
    before = recovery_state()
    with pytest.raises(PermissionDenied):
        system_update(actor=responder, source=WEB, system=billing, rto_minutes=5)
    with pytest.raises(PermissionDenied):
        system_delete(actor=responder, source=WEB, system=billing)
    assert recovery_state() == before


def test_unset_means_leave_as_it_is(admin, billing):
    system_update(actor=admin, source=WEB, system=billing, description=UNSET, name=UNSET)
    billing.refresh_from_db()
    assert billing.name == "Billing"
    assert repr(UNSET) == "UNSET"


def test_deleting_a_system_removes_its_runbooks(admin, billing):
    RunbookTemplate.objects.create(name="Billing runbook", system=billing)
    system_delete(actor=admin, source=WEB, system=billing)
    assert not System.objects.filter(name="Billing").exists()
    assert not RunbookTemplate.objects.exists()


def test_a_system_a_disaster_has_cannot_be_deleted(admin, billing, incident, recovery_state):
    disaster = Disaster.objects.create(incident=incident, interrupted_at=incident.declared_at)
    AffectedSystem.objects.create(disaster=disaster, system=billing)
    before = recovery_state()
    with pytest.raises(InvalidTransition) as refused:
        system_delete(actor=admin, source=WEB, system=billing)
    assert refused.value.field == "system"
    assert incident.reference in refused.value.message
    assert recovery_state() == before


def test_a_system_is_found_by_id_or_by_name_in_any_case(billing):
    assert system_lookup(billing.pk) == billing
    assert system_lookup(str(billing.pk)) == billing
    assert system_lookup("  bILLing ") == billing
    assert system_lookup(billing) == billing


@pytest.mark.parametrize("value", ["Nope", "", None, 0, 99999, True, "Bad\x07"])
def test_an_unknown_system_is_refused_naming_system(billing, value):
    with pytest.raises(ValidationError) as refused:
        system_lookup(value)
    assert refused.value.field == "system"

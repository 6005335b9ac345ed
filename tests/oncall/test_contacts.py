"""Contact methods: people manage how a page reaches them (admins anyone's), in an order they
choose; each address is checked by its channel kind's rule and refused naming `address`; a
chat address must be one of the person's own linked chat identities."""

import pytest

from incidentdesk.chat.models import ChatIdentity
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.contacts import (
    contact_method_add,
    contact_method_move,
    contact_method_remove,
    contact_methods_of,
)
from incidentdesk.oncall.models import ContactMethod
from incidentdesk.oncall.page_selectors import contact_method_data

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def add(actor, user=None, **kwargs):
    return contact_method_add(actor=actor, source=WEB, user=user or actor, **kwargs)


def order(user) -> list[str]:
    return [m.address for m in contact_methods_of(user)]


def test_a_person_adds_methods_in_order_and_moves_one_first(crew, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    ada = crew["ada"]
    add(ada, kind="email", address="  Ada@Pager.Example ", label="pager")
    add(ada, kind="webhook", address="http://127.0.0.1:9/ada")
    sms = add(ada, kind="sms", address="+4915112345678")
    assert order(ada) == ["ada@pager.example", "http://127.0.0.1:9/ada", "+4915112345678"]
    contact_method_move(actor=ada, source=WEB, method=sms, position=1)
    assert order(ada) == ["+4915112345678", "ada@pager.example", "http://127.0.0.1:9/ada"]
    data = contact_method_data(ContactMethod.objects.get(kind="email"))
    assert (data["position"], data["label"]) == (2, "pager")
    contact_method_remove(actor=ada, source=WEB, method=sms)
    assert order(ada) == ["ada@pager.example", "http://127.0.0.1:9/ada"]


@pytest.mark.parametrize(
    ("kind", "address", "field"),
    [
        ("pigeon", "ada", "kind"),
        ("email", "not an address", "address"),
        ("webhook", "ftp://hooks.example.com/x", "address"),
        ("webhook", "http://127.0.0.1/hook", "address"),
        ("sms", "0151 1234", "address"),
        ("ntfy", "not a url", "address"),
        ("chat", "slack", "address"),
        ("chat", "slack:UBOB", "address"),
    ],
)
def test_a_bad_kind_or_address_is_refused_naming_the_field_and_nothing_is_stored(
    crew, kind, address, field
):
    ChatIdentity.objects.create(platform="slack", external_id="UBOB", user=crew["bob"])
    with pytest.raises(ValidationError) as refused:
        add(crew["ada"], kind=kind, address=address)
    assert refused.value.field == field
    assert not ContactMethod.objects.exists()


def test_the_same_address_twice_is_refused(crew):
    add(crew["ada"], kind="email", address="ada@pager.example")
    with pytest.raises(ValidationError) as refused:
        add(crew["ada"], kind="email", address="ADA@pager.example")
    assert refused.value.field == "address"


def test_a_chat_address_must_be_a_linked_identity_of_the_person(crew):
    ChatIdentity.objects.create(platform="slack", external_id="UADA", user=crew["ada"])
    method = add(crew["ada"], kind="chat", address="slack:UADA")
    assert method.address == "slack:UADA"


def test_only_the_person_or_an_admin_changes_their_methods(crew, admin, viewer):
    with pytest.raises(PermissionDenied):
        add(crew["bob"], crew["ada"], kind="email", address="x@example.com")
    method = add(admin, crew["ada"], kind="email", address="ada@pager.example")
    with pytest.raises(PermissionDenied):
        contact_method_remove(actor=crew["bob"], source=WEB, method=method)
    with pytest.raises(PermissionDenied):
        contact_method_move(actor=crew["bob"], source=WEB, method=method, position=1)
    assert add(viewer, kind="email", address="vic@pager.example").user == viewer

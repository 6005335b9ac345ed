import pytest

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry


def test_an_email_address_is_cleaned_by_the_email_kinds_rule():
    assert registry.clean_address("email", " Ada@Example.ORG ") == "ada@example.org"


def test_a_bad_email_address_is_refused_naming_the_field():
    with pytest.raises(ValidationError) as caught:
        registry.clean_address("email", "not an address", field="address")
    assert caught.value.field == "address"


def test_a_kind_without_an_address_rule_is_refused():
    with pytest.raises(ValidationError) as caught:
        registry.clean_address("carrier-pigeon", "coop 4", field="kind")
    assert "carrier-pigeon" in caught.value.message and caught.value.field == "kind"


def test_a_webhook_to_a_private_address_is_refused():
    with pytest.raises(ValidationError):
        registry.clean_address("webhook", "http://10.0.0.1/hook")

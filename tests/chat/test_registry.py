"""Only configured platforms are there to be asked for."""

import pytest

from incidentdesk.chat import registry
from incidentdesk.core.errors import NotFound


class Stand:
    kind = "stand"


@pytest.fixture
def stand():
    registry.register_platform("stand", Stand)
    yield
    registry.unregister_platform("stand")


def test_a_registered_platform_is_built_by_its_factory(stand):
    assert isinstance(registry.platform("stand"), Stand)
    assert "stand" in registry.platform_kinds()


def test_a_platform_not_configured_is_not_found_naming_it():
    with pytest.raises(NotFound, match="'nowhere' is not configured") as missing:
        registry.platform("nowhere")
    assert missing.value.field == "platform"


def test_a_second_factory_for_a_taken_kind_is_refused(stand):
    registry.register_platform("stand", Stand)  # the same again is harmless
    with pytest.raises(ValueError, match="already registered"):
        registry.register_platform("stand", lambda: Stand())

"""Which chat platforms this install talks to.

A platform (`chat/platforms/<kind>/`) is registered from the chat app's `ready()`, and only
when its settings configure it, so `platform(kind)` answers for exactly the platforms an admin
set up. The chat layer never imports a platform's module itself; it asks this registry.
"""

from collections.abc import Callable

from incidentdesk.chat.platforms.base import ChatPlatform
from incidentdesk.core.errors import NotFound

Factory = Callable[[], ChatPlatform]

_factories: dict[str, Factory] = {}


def register_platform(kind: str, factory: Factory) -> None:
    """Make `kind` available: `factory()` gives the platform, built from the settings of the
    moment (it is called on every `platform(kind)`; a platform that holds a connection keeps
    it itself). Registering a different factory under a taken kind is a mistake."""
    if _factories.get(kind, factory) is not factory:
        raise ValueError(f"the chat platform {kind!r} is already registered")
    _factories[kind] = factory


def unregister_platform(kind: str) -> None:
    """Forget `kind` (tests that configure a platform and take it away again)."""
    _factories.pop(kind, None)


def platform(kind: str) -> ChatPlatform:
    """The configured platform `kind`; `NotFound` naming it when it is not configured."""
    factory = _factories.get(kind)
    if factory is None:
        raise NotFound(f"the chat platform {kind!r} is not configured", field="platform")
    return factory()


def platform_kinds() -> list[str]:
    """The kinds configured on this install, in the order they registered."""
    return list(_factories)


def address(platform: str, conversation: str) -> str:
    """The recipient address of a conversation, as the chat channel kind reads it."""
    return f"{platform}:{conversation}"

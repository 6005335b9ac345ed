"""The facts of a postmortem's facts section, and the registry through which a higher domain
adds its own (recovery adds a disaster's measured recovery from its `AppConfig.ready()`).

A provider is a function of the incident that returns its facts, or an empty list when it has
nothing to say about that incident. Providers run in the order they registered, after the
incident's own facts, each time the facts are shown (nothing is stored)."""

from collections.abc import Callable
from dataclasses import dataclass

from incidentdesk.incidents.models import Incident


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


FactProvider = Callable[[Incident], list[Fact]]

_providers: dict[str, FactProvider] = {}


def register(provider: FactProvider) -> FactProvider:
    """Add a provider of facts. Registering the same function again (a reloaded module)
    replaces it rather than adding it twice."""
    _providers[f"{provider.__module__}.{provider.__qualname__}"] = provider
    return provider


def registered_facts(incident: Incident) -> list[Fact]:
    """What every registered provider says about the incident, in registration order."""
    return [fact for provider in _providers.values() for fact in provider(incident)]

"""Points where higher domains take part in an incident's writes, without incidents importing
them: the status page and the postmortems register here from their `AppConfig.ready()`.

Every hook runs synchronously, inside the write's transaction, in the order registered. An
exception from a hook propagates unchanged to the caller of the service and rolls the whole
write back, exactly as if the service had done that work itself. A hook that wants to act only
once the write is committed queues its work with `transaction.on_commit` itself.

    before_close        (incident, reason) -> None
        The incident, locked, is about to be closed for good (status `closed`). Raise (e.g.
        InvalidTransition) to refuse; it may set fields on `incident` (the postmortem waiver
        reason), which the service then saves. Registered by postmortems.
    after_resolve       (*, actor, source, incident, message, publicly) -> None
        The incident has just been resolved (its status change is recorded). `message` is the
        closing message; `publicly` is False when the change is to stay internal
        (`resolve --internal-only`). Registered by the status page.
    after_catalog_change () -> None
        A component was created or changed. Registered by the status page, which re-renders
        its public documents after commit.
    after_entry         (entry) -> None
        A timeline entry has just been written (every change of an incident writes one:
        declared, status, severity, roles, notes). Registered by chat, which tells the
        incident's conversations and updates its announcements after commit.
"""

from collections.abc import Callable, Iterator
from typing import Any, Generic, Protocol, TypeVar

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident

F = TypeVar("F", bound=Callable[..., Any])


class Hook(Generic[F]):
    """An ordered list of functions with one signature."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._functions: list[F] = []

    def register(self, function: F) -> F:
        """Add `function` (once; registering it again changes nothing). Usable as a decorator."""
        if function not in self._functions:
            self._functions.append(function)
        return function

    def unregister(self, function: F) -> None:
        self._functions.remove(function)

    def __iter__(self) -> Iterator[F]:
        return iter(list(self._functions))

    def __repr__(self) -> str:
        return f"<Hook {self.name}: {[f.__qualname__ for f in self._functions]}>"


class BeforeClose(Protocol):
    def __call__(self, incident: Incident, reason: str) -> None: ...


class AfterResolve(Protocol):
    def __call__(
        self, *, actor: Any, source: ActionSource, incident: Incident, message: str, publicly: bool
    ) -> None: ...


class AfterCatalogChange(Protocol):
    def __call__(self) -> None: ...


class AfterEntry(Protocol):
    def __call__(self, entry: Any) -> None: ...


before_close: Hook[BeforeClose] = Hook("before_close")
after_resolve: Hook[AfterResolve] = Hook("after_resolve")
after_catalog_change: Hook[AfterCatalogChange] = Hook("after_catalog_change")
after_entry: Hook[AfterEntry] = Hook("after_entry")

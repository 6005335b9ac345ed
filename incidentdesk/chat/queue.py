"""Queueing chat work once the change that asks for it is committed.

The queue being unreachable at that moment must not turn a committed change into an error for
whoever made it (a web request, Slack waiting for its acknowledgement): the failure is logged,
and the work is picked up again where a repair exists (the inbound sweep acts on stored events
nobody acted on)."""

from collections.abc import Callable
from typing import Any

from django.db import transaction


def after_commit(task: Callable[..., Any], *args: Any) -> None:
    """Queue `task(*args)` (a Huey task) after the current transaction commits."""

    def queue_task() -> None:
        task(*args)

    transaction.on_commit(queue_task, robust=True)

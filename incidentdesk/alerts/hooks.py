"""Where later work takes part in alert intake without the intake knowing it (routing,
declaring an incident, paging will register here).

    after_groups_opened     (groups: list[AlertGroup]) -> None
        Groups that were opened or re-opened (a flapping alert) by one intake. Called after
        the intake's transaction commits, so a hook that fails never loses the alerts.

    after_groups_resolved   (groups: list[AlertGroup]) -> None
        Groups an intake resolved (their sender said every alert is over), after its commit.
"""

from collections.abc import Callable

from incidentdesk.alerts.models import AlertGroup
from incidentdesk.incidents.hooks import Hook

after_groups_opened: Hook[Callable[[list[AlertGroup]], None]] = Hook("after_groups_opened")
after_groups_resolved: Hook[Callable[[list[AlertGroup]], None]] = Hook("after_groups_resolved")

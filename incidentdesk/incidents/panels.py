"""The panels of the incident page, each drawn from its own context.

A panel is a template and a function that builds what the template shows from the request and
the incident. The incident page draws the panels in their column, by `order`. The incidents
domain registers its own (incidents/page.py); a higher domain registers its panel from its own
AppConfig.ready() (the status page's, the postmortem's), so incidents imports neither.

    panels.register(
        "postmortem",
        template="postmortems/_incident_panel.html",
        context=lambda request, incident: {"postmortem": postmortem_for(incident)},
        order=20,
    )

A panel's context keys join the page's context: they must not collide with another panel's
(a failed form write replaces one of them with the bound form, see page.render_incident_page).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from incidentdesk.incidents.models import Incident

MAIN = "main"
SIDE = "side"
COLUMNS = (MAIN, SIDE)

PanelContext = Callable[[HttpRequest, Incident], Mapping[str, Any]]


@dataclass(frozen=True)
class Panel:
    name: str  # also the id of its <section>, by convention
    template: str
    context: PanelContext
    order: int
    column: str = MAIN


_panels: dict[str, Panel] = {}


def register(
    name: str, *, template: str, context: PanelContext, order: int, column: str = MAIN
) -> Panel:
    """Add a panel to the incident page. The same module registering it again replaces it;
    another panel under a name already taken is refused (ValueError)."""
    if column not in COLUMNS:
        raise ValueError(f"a panel goes in one of the columns {COLUMNS}, not {column!r}")
    panel = Panel(name, template, context, order, column)
    known = _panels.get(name, panel)
    if (known.template, known.context.__module__) != (template, context.__module__):
        raise ValueError(f"the incident page already has a panel called {name!r}")
    _panels[name] = panel
    return panel


def panels(column: str | None = None) -> list[Panel]:
    """The registered panels (of one column), in the order the page draws them."""
    chosen = [p for p in _panels.values() if column in (None, p.column)]
    return sorted(chosen, key=lambda p: (p.order, p.name))


def panel(name: str) -> Panel:
    """The panel registered as `name` (KeyError when there is none)."""
    return _panels[name]


def contexts(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    """What every panel shows, in one context: each panel's context function called once."""
    merged: dict[str, Any] = {}
    for each in panels():
        merged.update(each.context(request, incident))
    return merged

"""The next steps offered on the incident page, each one click away.

A next step is offered while it applies and the viewer may take it, and disappears once taken:
take the lead while nobody leads, page the on-call lead, open a chat channel, publish on the
status page and post public updates while it runs, start the postmortem and schedule its
root-cause meeting once resolved. Each domain registers its own offers from its
AppConfig.ready(), so incidents imports none of them:

    next_steps.register("page_lead", offer_page, order=20)

An offer is a function of the request and the incident that returns a `Step`, or None when it
does not apply (or the viewer may not take it). A step's button posts to the write endpoint that
already exists for it (the same form the rest of the page uses); a step that needs words first
(a public message, a meeting time) links to the form where they are written, opened
(`?open=<id>`, parts/forms.js). A viewer may dismiss a step for one incident (kept in their
session: a preference, not part of the incident).

The incident page shows the steps in its "Next steps" panel, near the top of the main column.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.incidents import panels, selectors
from incidentdesk.incidents.models import Incident, IncidentRole

DISMISSED = "next_steps_dismissed"  # session key: {incident id: [step names]}


@dataclass(frozen=True)
class Step:
    title: str  # what it is about: "Nobody leads this incident yet"
    button: str  # the one click: "Take the lead"
    url: str  # where the button posts, or where the link goes
    fields: Mapping[str, str] | None = None  # the form's hidden fields; None: a link
    why: str = ""  # one line more, if it helps
    other: tuple[str, str] | None = None  # (words, href): another way, e.g. to pick a person
    name: str = field(default="", compare=False)  # set by the registry

    @property
    def posts(self) -> bool:
        return self.fields is not None


Offer = Callable[[HttpRequest, Incident], Step | None]


@dataclass(frozen=True)
class Registered:
    name: str
    offer: Offer
    order: int


_offers: dict[str, Registered] = {}


def register(name: str, offer: Offer, *, order: int) -> Registered:
    """Offer a next step on the incident page. The same module registering it again replaces
    it; another offer under a name already taken is refused (ValueError)."""
    known = _offers.get(name)
    if known is not None and known.offer.__module__ != offer.__module__:
        raise ValueError(f"the incident page already offers a next step called {name!r}")
    _offers[name] = registered = Registered(name, offer, order)
    return registered


def offers() -> list[Registered]:
    return sorted(_offers.values(), key=lambda each: (each.order, each.name))


def dismissed(request: HttpRequest, incident: Incident) -> set[str]:
    session = getattr(request, "session", None)
    if session is None:
        return set()
    return set(session.get(DISMISSED, {}).get(str(incident.pk), []))


def dismiss(request: HttpRequest, incident: Incident, name: str) -> None:
    """Hide step `name` of `incident` from this viewer (their session remembers it)."""
    if name not in _offers:
        return
    kept = dict(request.session.get(DISMISSED, {}))
    names = set(kept.get(str(incident.pk), []))
    names.add(name)
    kept[str(incident.pk)] = sorted(names)
    request.session[DISMISSED] = kept


def steps(request: HttpRequest, incident: Incident) -> list[Step]:
    """The steps that apply to `incident` for this viewer now, in order, less those they
    dismissed."""
    hidden = dismissed(request, incident)
    out = []
    for each in offers():
        if each.name in hidden:
            continue
        step = each.offer(request, incident)
        if step is not None:
            out.append(replace(step, name=each.name))
    return out


def next_steps_panel(request: HttpRequest, incident: Incident) -> dict[str, Any]:
    return {"next_steps": steps(request, incident)}


panels.register(
    "next_steps",
    template="incidents/_next_steps.html",
    context=next_steps_panel,
    order=2,  # first in the main column, above the timeline and its command box
)


# The incidents' own step: somebody leads ------------------------------------------------------


def offer_lead(request: HttpRequest, incident: Incident) -> Step | None:
    """While an open incident has no lead: take it (or give it to someone, in the roles)."""
    if not incident.is_open or not has_perm(request.user, Perm.ROLE_ASSIGN):
        return None
    roles = getattr(incident, "current_roles", None)
    if roles is None:
        roles = selectors.current_roles(incident)
    if any(held.role == IncidentRole.LEAD for held in roles):
        return None
    return Step(
        title="Nobody leads this incident yet",
        why="The lead runs the response and decides.",
        button="Take the lead",
        url=reverse("role_assign", args=[incident.reference]),
        fields={"role": IncidentRole.LEAD, "person": request.user.get_username()},
        other=("Give it to someone else", "#assign-lead"),
    )


register("lead", offer_lead, order=10)

"""The public HTML pages, rendered to strings when data changes (render.py renders them with
the other documents, store.py keeps them). Nothing here may depend on a request: no user, no
CSRF token, no host. Links are root-relative so the same files work from the app or from a
static export.

Documents:
  /                       overall status, banner, active incidents, maintenance, components
                          with their 90-day uptime bars, the last week, the subscribe form
  /history                published incidents and finished maintenance by month, newest first
  /history/page/<n>       further history pages (HISTORY_PAGE_SIZE publications a page)
  /incidents/<public_id>  one publication with all its updates

Only stored public fields are read, through selectors.py: never an internal incident's title,
summary, timeline or people.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from itertools import groupby

from django.conf import settings
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import timezone

from incidentdesk.incidents.models import Component, ComponentStatus
from incidentdesk.notifications.channels.email import mail_configured
from incidentdesk.statuspage import rules, uptime
from incidentdesk.statuspage.forms import SubscribeForm, leaf_components
from incidentdesk.statuspage.models import PageSettings, PublicIncident
from incidentdesk.statuspage.selectors import (
    every_publication,
    maintenance_not_done,
    page_status,
    published_since,
    unresolved_incidents,
)

HISTORY_PAGE_SIZE = 20
RECENT_DAYS = 7
STATUS_WORDS = dict(ComponentStatus.choices)


@dataclass
class ComponentRow:
    """A component (or group) as the page shows it."""

    component: Component
    bar: uptime.Bar
    children: list["ComponentRow"] = field(default_factory=list)

    @property
    def status(self) -> str:
        """A group shows the worst status of the children it shows (rules.worst_status)."""
        if not self.children:
            return self.component.status
        return rules.worst_status(c.component.status for c in self.children)

    @property
    def status_text(self) -> str:
        return STATUS_WORDS.get(self.status, self.status)


def _visible(component: Component) -> bool:
    return component.showcase and not (
        component.only_show_if_degraded and component.status == "operational"
    )


def component_rows(now=None) -> list[ComponentRow]:
    """Top-level components and groups in page order, each with its bar; a group's bar is the
    worst of its shown children's."""
    everything = list(Component.objects.order_by("position", "name"))
    group_ids = {c.group_id for c in everything if c.group_id}
    components = [c for c in everything if c.showcase]
    bars = uptime.component_bars(components, now=now)
    children: dict[int, list[ComponentRow]] = {}
    for c in components:
        if c.group_id and _visible(c):
            children.setdefault(c.group_id, []).append(ComponentRow(c, bars[c.pk]))
    rows = []
    for c in components:
        if c.group_id:
            continue
        kids = children.get(c.pk, [])
        if kids:
            rows.append(ComponentRow(c, uptime.worst_of([k.bar for k in kids]), kids))
        elif _visible(c) and c.pk not in group_ids:
            rows.append(ComponentRow(c, bars[c.pk]))
    return rows


def base_context(page: PageSettings) -> dict:
    """What every public page's frame shows: the page name and logo, the overall status, the
    banner; and whether email subscriptions can be offered (mail is configured)."""
    indicator, description = page_status()
    return {
        "page": page,
        "email_subscriptions": mail_configured(),
        "indicator": indicator,
        "description": description,
        "css": static("statuspage/status.css"),
        "js": static("statuspage/status.js"),
        "time_zone": settings.TIME_ZONE,
        "generated_at": timezone.now(),
    }


def _home(base: dict) -> str:
    now = timezone.now()
    maintenance = maintenance_not_done()
    week_ago = timezone.localtime(now).date() - timedelta(days=RECENT_DAYS - 1)
    days = [timezone.localtime(now).date() - timedelta(days=n) for n in range(RECENT_DAYS)]
    by_day: dict = {d: [] for d in days}
    for publication in published_since(week_ago):
        day = timezone.localtime(publication.started_at).date()
        if day in by_day:
            by_day[day].append(publication)
    context = {
        **base,
        "active": unresolved_incidents(),
        "ongoing": [m for m in maintenance if m.status != "scheduled"],
        "upcoming": [m for m in maintenance if m.status == "scheduled"],
        "components": component_rows(now),
        "recent_days": list(by_day.items()),
        "all_components": leaf_components().filter(showcase=True),
        "form": SubscribeForm(),
    }
    return render_to_string("statuspage/public/home.html", context)


def history_path(number: int) -> str:
    return "/history" if number == 1 else f"/history/page/{number}"


def _history(base: dict, publications: list[PublicIncident]) -> dict[str, Callable[[], str]]:
    """Every page of the history, each rendered when called. Published incidents and finished
    maintenance, newest first (`publications` comes in that order), grouped by month; a month
    that spills over continues on the next page."""
    items = [p for p in publications if not p.is_maintenance or p.status == "completed"]
    chunks = [items[i : i + HISTORY_PAGE_SIZE] for i in range(0, len(items), HISTORY_PAGE_SIZE)]
    chunks = chunks or [[]]
    documents: dict[str, Callable[[], str]] = {}
    for number, chunk in enumerate(chunks, start=1):
        months = [
            (month, list(group))
            for month, group in groupby(
                chunk, key=lambda p: timezone.localtime(p.started_at).replace(day=1).date()
            )
        ]
        context = {
            **base,
            "months": months,
            "number": number,
            "pages": len(chunks),
            "newer": history_path(number - 1) if number > 1 else None,
            "older": history_path(number + 1) if number < len(chunks) else None,
        }
        documents[history_path(number)] = partial(
            render_to_string, "statuspage/public/history.html", context
        )
    return documents


def _publication_page(base: dict, publication: PublicIncident) -> str:
    context = {**base, "incident": publication, "updates": list(publication.updates.all())}
    return render_to_string("statuspage/public/incident.html", context)


def html_documents(changed_public_ids: list[str] | None = None) -> dict[str, str]:
    """{path: HTML} for the public pages: always `/` and the history pages; the page of every
    publication when `changed_public_ids` is None, else only of those named."""
    return {path: render() for path, render in html_renderers(changed_public_ids).items()}


def html_renderers(changed_public_ids: list[str] | None = None) -> dict[str, Callable[[], str]]:
    """The pages of `html_documents`, each rendered only when called: the data is read once
    here, and one page that fails to render leaves the others (render.py stores each alone)."""
    base = base_context(PageSettings.load())
    everything = every_publication()  # read once for all pages
    documents: dict[str, Callable[[], str]] = {
        "/": partial(_home, base),
        **_history(base, everything),
    }
    publications = everything
    if changed_public_ids is not None:
        changed = set(changed_public_ids)
        publications = [p for p in everything if p.public_id in changed]
    for publication in publications:
        documents[f"/incidents/{publication.public_id}"] = partial(
            _publication_page, base, publication
        )
    return documents

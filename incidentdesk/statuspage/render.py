"""Rendering the public documents, each on its own.

`render_documents()` renders every public document from what the selectors read: the eight
Statuspage v2 JSON files, the Atom and RSS feeds, and the HTML pages of `pages.html_renderers`.
Nothing is stored here (store.py keeps them; public_site.py runs render, store, serve and
export after a change).

Each document renders on its own: one that fails is logged and noted in `Rendered.failures`
while every other renders, so it keeps its last stored version (render_failures.py records it).
Stored text is made safe as it is rendered (core/text.safe_text).
"""

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, partial

from django.db import DatabaseError

from incidentdesk.core.text import safe_text
from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import pages, rules
from incidentdesk.statuspage.feeds import atom_feed, rss_feed
from incidentdesk.statuspage.models import (
    LOGO_TYPES,
    UNRESOLVED_STATUSES,
    PageLogo,
    PageSettings,
    PublicIncident,
)
from incidentdesk.statuspage.selectors import (
    ACTIVE_MAINTENANCE,
    RECENT_LIMIT,
    UPCOMING_OR_ACTIVE,
    Snapshot,
    history_feed_items,
    read_snapshot,
)
from incidentdesk.statuspage.serializers import component_json, incident_json, page_json

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
V2 = "/api/v2"


# The v2 documents -----------------------------------------------------------------------


def _updated_at(snap: Snapshot):
    """When anything public last changed: stable between renders, so unchanged data gives
    unchanged bytes (and ETags)."""
    times = [snap.page.updated_at]
    times += [c.updated_at for c in snap.components]
    times += [p.updated_at for p in snap.incidents + snap.maintenances]
    return max(times)


def component_rows(snap: Snapshot) -> list[dict]:
    """Components in page order: each top-level component, a group followed by its children.
    Groups carry their children's ids; `position` counts rows from 1."""
    children: dict[int, list[Component]] = {}
    for c in snap.components:
        if c.group_id:
            children.setdefault(c.group_id, []).append(c)
    rows: list[dict] = []
    for c in snap.components:
        if c.group_id:
            continue
        kids = children.get(c.pk)
        rows.append(component_json(c, snap.page, children=kids, position=len(rows) + 1))
        for kid in kids or ():
            rows.append(component_json(kid, snap.page, position=len(rows) + 1))
    return rows


def status_json(snap: Snapshot) -> dict:
    indicator, description = rules.page_indicator(
        incident_impacts=[
            p.impact_override or p.impact for p in snap.incidents if p.status in UNRESOLVED_STATUSES
        ],
        component_statuses=[c.status for c in snap.components],
        maintenance=any(m.status == "in_progress" for m in snap.maintenances),
    )
    return {"indicator": indicator, "description": description}


def v2_builders(snap: Snapshot) -> dict[str, Callable[[], dict]]:
    """The eight Statuspage public API v2 documents, keyed by path, each built when called.
    The parts they share are built once, on first use; a part that fails fails only the
    documents that use it."""
    serialized: dict[int, dict] = {}

    def publication(item: PublicIncident) -> dict:
        """A publication's JSON, built once for the documents that list it."""
        if item.pk not in serialized:
            serialized[item.pk] = incident_json(item, snap.page)
        return serialized[item.pk]

    page = cache(lambda: page_json(snap.page, _updated_at(snap)))
    components = cache(lambda: component_rows(snap))
    status = cache(lambda: status_json(snap))
    # Upcoming and active read soonest first; the full list newest first.
    soonest = sorted(snap.maintenances, key=lambda m: (m.scheduled_for, m.pk))

    def unresolved() -> list[dict]:
        return [publication(p) for p in snap.incidents if p.status in UNRESOLVED_STATUSES]

    def maintenances(statuses) -> list[dict]:
        return [publication(m) for m in soonest if m.status in statuses]

    return {
        f"{V2}/summary.json": lambda: {
            "page": page(),
            "components": components(),
            "incidents": unresolved(),
            "scheduled_maintenances": maintenances(UPCOMING_OR_ACTIVE),
            "status": status(),
        },
        f"{V2}/status.json": lambda: {"page": page(), "status": status()},
        f"{V2}/components.json": lambda: {"page": page(), "components": components()},
        f"{V2}/incidents.json": lambda: {
            "page": page(),
            "incidents": [publication(p) for p in snap.incidents[:RECENT_LIMIT]],
        },
        f"{V2}/incidents/unresolved.json": lambda: {"page": page(), "incidents": unresolved()},
        f"{V2}/scheduled-maintenances.json": lambda: {
            "page": page(),
            "scheduled_maintenances": [publication(m) for m in snap.maintenances[:RECENT_LIMIT]],
        },
        f"{V2}/scheduled-maintenances/upcoming.json": lambda: {
            "page": page(),
            "scheduled_maintenances": maintenances(("scheduled",)),
        },
        f"{V2}/scheduled-maintenances/active.json": lambda: {
            "page": page(),
            "scheduled_maintenances": maintenances(ACTIVE_MAINTENANCE),
        },
    }


def v2_documents(snap: Snapshot) -> dict[str, dict]:
    """The eight Statuspage public API v2 documents, keyed by path."""
    return {path: build() for path, build in v2_builders(snap).items()}


def _safe(data):
    """`data` with unsafe characters in its strings replaced (see core/text.py): json.dumps
    would carry them as escapes that many consumers still refuse."""
    if isinstance(data, str):
        return safe_text(data)
    if isinstance(data, dict):
        return {key: _safe(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_safe(item) for item in data]
    return data


def _json_bytes(data: dict) -> bytes:
    return json.dumps(_safe(data), ensure_ascii=False, separators=(",", ":")).encode()


# Every document on its own -----------------------------------------------------------------

# Where a failure to read what every HTML page shows is recorded (no page could be tried).
HTML_PAGES = "/"


@dataclass
class Rendered:
    """One render of the site: the documents that rendered, {path: (content_type, bytes)};
    the ones that failed, {path: the error in one line}; and whether every document of the
    site was tried (so a stored document missing from both is gone and can be removed)."""

    documents: dict[str, tuple[str, bytes]]
    failures: dict[str, str]
    complete: bool


def _one_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return safe_text(f"{type(exc).__name__}: {text}" if text else type(exc).__name__)[:500]


def _renderers(snap: Snapshot) -> dict[str, tuple[str, Callable[[], bytes]]]:
    renderers: dict[str, tuple[str, Callable[[], bytes]]] = {
        path: (JSON_TYPE, partial(lambda build: _json_bytes(build()), build))
        for path, build in v2_builders(snap).items()
    }
    items = history_feed_items(snap)
    renderers["/history.atom"] = (ATOM_TYPE, lambda: atom_feed(snap.page, items))
    renderers["/history.rss"] = (RSS_TYPE, lambda: rss_feed(snap.page, items))
    logo = logo_document(snap.page)
    if logo is not None:
        path, kind, body = logo
        renderers[path] = (kind, lambda: body)
    return renderers


def logo_document(page: PageSettings) -> tuple[str, str, bytes] | None:
    """(path, content type, bytes) of the page's logo (appearance.py stores it re-encoded),
    or None without one. Served like every other public document."""
    if not page.logo_format:
        return None
    stored = PageLogo.objects.filter(pk=1).values_list("image", flat=True).first()
    if stored is None:
        return None
    return page.logo_path, LOGO_TYPES[page.logo_format], bytes(stored)


def _render_each(renderers: dict, rendered: Rendered) -> None:
    """Render each document alone: one that fails is logged and noted, the others go on.
    A database error is not a document's fault and stops the whole render (retried later)."""
    for path, (kind, render) in renderers.items():
        try:
            rendered.documents[path] = (kind, render())
        except DatabaseError:
            raise
        except Exception as exc:
            logger.exception("rendering the public document %s failed", path)
            rendered.failures[path] = _one_line(exc)


def _html_renderers(public_incident_ids, rendered: Rendered) -> dict:
    """The public pages from pages.py, each rendered as HTML bytes with unsafe characters
    replaced; none (and the failure noted under `/`) when what they share could not be read."""
    try:
        page_renderers = pages.html_renderers(public_incident_ids)
    except DatabaseError:
        raise
    except Exception as exc:
        logger.exception("rendering the public HTML pages failed")
        rendered.failures[HTML_PAGES] = _one_line(exc)
        rendered.complete = False
        return {}
    return {
        path: (HTML_TYPE, partial(lambda page: safe_text(page()).encode(), page))
        for path, page in page_renderers.items()
    }


def render_documents(public_incident_ids: list[str] | None = None) -> Rendered:
    """Every public document, each rendered on its own (see `Rendered`): the v2 JSON, the
    feeds, and the HTML pages (all of them, or `/`, the history and the named publications')."""
    rendered = Rendered({}, {}, complete=public_incident_ids is None)
    _render_each(_renderers(read_snapshot()), rendered)
    _render_each(_html_renderers(public_incident_ids, rendered), rendered)
    return rendered

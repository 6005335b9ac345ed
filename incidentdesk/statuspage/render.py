"""Rendering the public site when data changes, not per request.

`refresh()` renders every public document (the eight Statuspage v2 JSON files, the Atom and
RSS feeds, and the HTML pages from `pages.html_renderers`) and stores those whose bytes changed
in `PublicDocument`, with a strong ETag and a new version number. Every web process serves
them from memory (public_views.py); `export.py` writes them out as static files.

Each document renders on its own: one that fails keeps its last stored version while every
other is stored, and the failure is logged and recorded (render_failures.py: admins see it,
/metrics counts it, `statuspage export` reports it) until a later render of it succeeds.
Stored text is made safe as it is rendered (core/text.safe_text).

Services call it after commit; a periodic task calls it every minute so time-based content
(today's uptime bar, maintenance about to start) stays fresh and failed documents are tried
again. A failure here is logged and never undoes the change that triggered it.
"""

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache, partial

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Max, Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from incidentdesk.core.text import safe_text
from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import rules
from incidentdesk.statuspage.models import (
    UNRESOLVED_STATUSES,
    PageSettings,
    PublicDocument,
    PublicIncident,
)
from incidentdesk.statuspage.render_failures import note_outcomes
from incidentdesk.statuspage.serializers import component_json, incident_json, page_json

logger = logging.getLogger(__name__)

JSON_TYPE = "application/json"
HTML_TYPE = "text/html; charset=utf-8"
ATOM_TYPE = "application/atom+xml; charset=utf-8"
RSS_TYPE = "application/rss+xml; charset=utf-8"
V2 = "/api/v2"
RECENT_LIMIT = 50  # Statuspage: incidents.json and scheduled-maintenances.json hold the 50 latest
UPCOMING_OR_ACTIVE = ("scheduled", "in_progress", "verifying")
ACTIVE_MAINTENANCE = ("in_progress", "verifying")
# Attempts at rendering outside the write lock before rendering inside it.
OPTIMISTIC_ATTEMPTS = 3


def page_status() -> tuple[str, str]:
    """The page's overall indicator and description, from current data."""
    impacts = [
        pi.impact_override or pi.impact
        for pi in PublicIncident.objects.unresolved().only("impact", "impact_override")
    ]
    statuses = list(Component.objects.values_list("status", flat=True))
    maintenance = PublicIncident.objects.maintenances().filter(status="in_progress").exists()
    return rules.page_indicator(
        incident_impacts=impacts, component_statuses=statuses, maintenance=maintenance
    )


# Reading the data once ------------------------------------------------------------------


@dataclass
class Snapshot:
    """Everything the public documents say, read in a handful of queries."""

    page: PageSettings
    components: list[Component]
    incidents: list[PublicIncident]  # newest first, the 50 latest plus any unresolved
    maintenances: list[PublicIncident]  # newest scheduled first, 50 latest plus any not done
    serialized: dict[int, dict] = field(default_factory=dict)

    def incident(self, pi: PublicIncident) -> dict:
        if pi.pk not in self.serialized:
            self.serialized[pi.pk] = incident_json(pi, self.page)
        return self.serialized[pi.pk]


def _publications():
    return PublicIncident.objects.with_details()


def read_snapshot() -> Snapshot:
    recent_incidents = list(
        PublicIncident.objects.incidents()
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:RECENT_LIMIT]
    )
    recent_maintenances = list(
        PublicIncident.objects.maintenances()
        .order_by("-scheduled_for", "-id")
        .values_list("pk", flat=True)[:RECENT_LIMIT]
    )
    wanted = (
        Q(pk__in=recent_incidents + recent_maintenances)
        | Q(is_maintenance=False, status__in=UNRESOLVED_STATUSES)
        | Q(is_maintenance=True, status__in=UPCOMING_OR_ACTIVE)
    )
    publications = list(_publications().filter(wanted))
    incidents = sorted(
        (p for p in publications if not p.is_maintenance),
        key=lambda p: (p.created_at, p.pk),
        reverse=True,
    )
    maintenances = sorted(
        (p for p in publications if p.is_maintenance),
        key=lambda p: (p.scheduled_for, p.pk),
        reverse=True,
    )
    return Snapshot(
        page=PageSettings.load(),
        components=list(Component.objects.select_related("group").order_by("position", "name")),
        incidents=incidents,
        maintenances=maintenances,
    )


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
    page = cache(lambda: page_json(snap.page, _updated_at(snap)))
    components = cache(lambda: component_rows(snap))
    status = cache(lambda: status_json(snap))
    # Upcoming and active read soonest first; the full list newest first.
    soonest = sorted(snap.maintenances, key=lambda m: (m.scheduled_for, m.pk))

    def unresolved() -> list[dict]:
        return [snap.incident(p) for p in snap.incidents if p.status in UNRESOLVED_STATUSES]

    def maintenances(statuses) -> list[dict]:
        return [snap.incident(m) for m in soonest if m.status in statuses]

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
            "incidents": [snap.incident(p) for p in snap.incidents[:RECENT_LIMIT]],
        },
        f"{V2}/incidents/unresolved.json": lambda: {"page": page(), "incidents": unresolved()},
        f"{V2}/scheduled-maintenances.json": lambda: {
            "page": page(),
            "scheduled_maintenances": [snap.incident(m) for m in snap.maintenances[:RECENT_LIMIT]],
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


def history_feed_items(snap: Snapshot) -> list[PublicIncident]:
    """What the feeds list: incidents and maintenance, newest first."""
    history = snap.incidents + snap.maintenances
    history.sort(key=lambda p: (p.created_at, p.pk), reverse=True)
    return history[:RECENT_LIMIT]


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
    from incidentdesk.statuspage.feeds import atom_feed, rss_feed

    renderers = {
        path: (JSON_TYPE, partial(lambda build: _json_bytes(build()), build))
        for path, build in v2_builders(snap).items()
    }
    items = history_feed_items(snap)
    renderers["/history.atom"] = (ATOM_TYPE, lambda: atom_feed(snap.page, items))
    renderers["/history.rss"] = (RSS_TYPE, lambda: rss_feed(snap.page, items))
    return renderers


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
    from incidentdesk.statuspage.pages import html_renderers

    try:
        pages = html_renderers(public_incident_ids)
    except DatabaseError:
        raise
    except Exception as exc:
        logger.exception("rendering the public HTML pages failed")
        rendered.failures[HTML_PAGES] = _one_line(exc)
        rendered.complete = False
        return {}
    return {
        path: (HTML_TYPE, partial(lambda page: safe_text(page()).encode(), page))
        for path, page in pages.items()
    }


def render_documents(public_incident_ids: list[str] | None = None) -> Rendered:
    """Every public document, each rendered on its own (see `Rendered`): the v2 JSON, the
    feeds, and the HTML pages (all of them, or `/`, the history and the named publications')."""
    rendered = Rendered({}, {}, complete=public_incident_ids is None)
    _render_each(_renderers(read_snapshot()), rendered)
    _render_each(_html_renderers(public_incident_ids, rendered), rendered)
    return rendered


# Storing ----------------------------------------------------------------------------------


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


def latest_version() -> int:
    return PublicDocument.objects.aggregate(v=Max("version"))["v"] or 0


@dataclass
class Stored:
    version: int
    changed: dict[str, bytes]
    removed: list[str]
    failures: dict[str, str] = field(default_factory=dict)


def _store(rendered: Rendered, expected_version: int | None) -> Stored | None:
    """Write the documents whose bytes changed under one new version number, and note which
    failed. A document that failed keeps its stored version. Returns None (writing nothing)
    when another refresh stored a version since `expected_version`, so a render of older data
    never replaces a newer one."""
    with transaction.atomic():
        # One writer at a time: PostgreSQL waits on this row lock; SQLite's IMMEDIATE
        # transactions already hold the write lock.
        list(PageSettings.objects.select_for_update().filter(pk=1).values_list("pk"))
        current = latest_version()
        if expected_version is not None and current != expected_version:
            return None
        note_outcomes(rendered.documents, rendered.failures)
        documents, failures = rendered.documents, rendered.failures
        existing = dict(PublicDocument.objects.values_list("path", "etag"))
        changed = {
            path: (kind, body)
            for path, (kind, body) in documents.items()
            if existing.get(path) != etag_of(body)
        }
        removed = []
        if rendered.complete:
            removed = [p for p in existing if p not in documents and p not in failures]
        if not changed and not removed:
            return Stored(current, {}, [], failures)
        version = current + 1
        rows = [
            PublicDocument(path=p, content_type=k, body=b, etag=etag_of(b), version=version)
            for p, (k, b) in changed.items()
        ]
        PublicDocument.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["path"],
            update_fields=["content_type", "body", "etag", "version", "rendered_at"],
        )
        if removed:
            PublicDocument.objects.filter(path__in=removed).delete()
            # Readers notice a removal by a new version; mark it on the home page's row.
            PublicDocument.objects.filter(path="/").update(version=version)
        return Stored(version, {p: b for p, (_, b) in changed.items()}, removed, failures)


def refresh_or_raise(public_incident_ids: list[str] | None = None) -> Stored:
    """Render and store; see `refresh`. Raises when the site could not be rendered or stored
    at all (for tests and the CLI); documents that failed alone are in `Stored.failures`."""
    for _ in range(OPTIMISTIC_ATTEMPTS):
        expected = latest_version()
        stored = _store(render_documents(public_incident_ids), expected)
        if stored is not None:
            break
    else:
        # Busy: render under the lock so this one surely lands.
        with transaction.atomic():
            list(PageSettings.objects.select_for_update().filter(pk=1).values_list("pk"))
            stored = _store(render_documents(public_incident_ids), None)
    if stored.changed or stored.removed:
        # This process serves the change at once; the others see it at their next check.
        from incidentdesk.statuspage.public_views import cache

        cache.expire()
    if settings.STATUSPAGE_EXPORT_DIR and (stored.changed or stored.removed):
        from incidentdesk.statuspage.export import write_changes

        write_changes(settings.STATUSPAGE_EXPORT_DIR, stored.changed, stored.removed)
    return stored


def refresh_after_commit() -> None:
    """Re-render the public site once the current transaction commits (at once outside one)."""
    transaction.on_commit(refresh)


def refresh(public_incident_ids: list[str] | None = None) -> None:
    """Re-render the public site after a committed change: every v2 JSON document, the
    feeds, and the HTML pages (all of them, or `/`, the history and the pages of the named
    publications). Only documents whose bytes changed are written. Never raises: the change
    that triggered it is committed and stays so; the next refresh catches up."""
    try:
        refresh_or_raise(public_incident_ids)
    except Exception:
        logger.exception("refreshing the public status page failed")


@db_periodic_task(crontab(minute="*"))
def refresh_every_minute() -> None:
    """Keep time-based content fresh: today's uptime bar, maintenance about to start."""
    refresh()

"""Rendering the public site when data changes, not per request.

`refresh()` renders every public document (the eight Statuspage v2 JSON files, the Atom and
RSS feeds, and the HTML pages from `pages.html_documents`) and stores those whose bytes changed
in `PublicDocument`, with a strong ETag and a new version number. Every web process serves
them from memory (public_views.py); `export.py` writes them out as static files.

Services call it after commit; a periodic task calls it every minute so time-based content
(today's uptime bar, maintenance about to start) stays fresh. A failure here is logged and
never undoes the change that triggered it.
"""

import hashlib
import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import rules
from incidentdesk.statuspage.models import (
    UNRESOLVED_STATUSES,
    PageSettings,
    PublicDocument,
    PublicIncident,
)
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


def v2_documents(snap: Snapshot) -> dict[str, dict]:
    """The eight Statuspage public API v2 documents, keyed by path."""
    page = page_json(snap.page, _updated_at(snap))
    components = component_rows(snap)
    status = status_json(snap)
    unresolved = [snap.incident(p) for p in snap.incidents if p.status in UNRESOLVED_STATUSES]
    recent = [snap.incident(p) for p in snap.incidents[:RECENT_LIMIT]]
    # Upcoming and active read soonest first; the full list newest first.
    soonest = sorted(snap.maintenances, key=lambda m: (m.scheduled_for, m.pk))
    upcoming = [snap.incident(m) for m in soonest if m.status == "scheduled"]
    active = [snap.incident(m) for m in soonest if m.status in ACTIVE_MAINTENANCE]
    not_done = [snap.incident(m) for m in soonest if m.status in UPCOMING_OR_ACTIVE]
    maintenances = [snap.incident(m) for m in snap.maintenances[:RECENT_LIMIT]]
    return {
        f"{V2}/summary.json": {
            "page": page,
            "components": components,
            "incidents": unresolved,
            "scheduled_maintenances": not_done,
            "status": status,
        },
        f"{V2}/status.json": {"page": page, "status": status},
        f"{V2}/components.json": {"page": page, "components": components},
        f"{V2}/incidents.json": {"page": page, "incidents": recent},
        f"{V2}/incidents/unresolved.json": {"page": page, "incidents": unresolved},
        f"{V2}/scheduled-maintenances.json": {
            "page": page,
            "scheduled_maintenances": maintenances,
        },
        f"{V2}/scheduled-maintenances/upcoming.json": {
            "page": page,
            "scheduled_maintenances": upcoming,
        },
        f"{V2}/scheduled-maintenances/active.json": {
            "page": page,
            "scheduled_maintenances": active,
        },
    }


def _json_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _html_documents(public_incident_ids) -> dict[str, str] | None:
    """The public pages from pages.py, or None when they could not be rendered (the JSON and
    feeds are still stored)."""
    try:
        from incidentdesk.statuspage.pages import html_documents
    except ImportError:
        return None
    try:
        return html_documents(public_incident_ids)
    except Exception:
        logger.exception("rendering the public HTML pages failed")
        return None


def render_documents(public_incident_ids: list[str] | None = None) -> tuple[dict, bool]:
    """{path: (content_type, bytes)} for every public document, and whether the set is
    complete (so documents missing from it can be removed)."""
    from incidentdesk.statuspage.feeds import atom_feed, rss_feed

    snap = read_snapshot()
    documents = {path: (JSON_TYPE, _json_bytes(doc)) for path, doc in v2_documents(snap).items()}
    history = snap.incidents + snap.maintenances
    history.sort(key=lambda p: (p.created_at, p.pk), reverse=True)
    documents["/history.atom"] = (ATOM_TYPE, atom_feed(snap.page, history[:RECENT_LIMIT]))
    documents["/history.rss"] = (RSS_TYPE, rss_feed(snap.page, history[:RECENT_LIMIT]))
    pages = _html_documents(public_incident_ids)
    for path, html in (pages or {}).items():
        documents[path] = (HTML_TYPE, html.encode())
    return documents, pages is not None and public_incident_ids is None


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


def _store(documents: dict, complete: bool, expected_version: int | None) -> Stored | None:
    """Write the documents whose bytes changed under one new version number. Returns None
    (writing nothing) when another refresh stored a version since `expected_version`, so a
    render of older data never replaces a newer one."""
    with transaction.atomic():
        # One writer at a time: PostgreSQL waits on this row lock; SQLite's IMMEDIATE
        # transactions already hold the write lock.
        list(PageSettings.objects.select_for_update().filter(pk=1).values_list("pk"))
        current = latest_version()
        if expected_version is not None and current != expected_version:
            return None
        existing = dict(PublicDocument.objects.values_list("path", "etag"))
        changed = {
            path: (kind, body)
            for path, (kind, body) in documents.items()
            if existing.get(path) != etag_of(body)
        }
        removed = [p for p in existing if p not in documents] if complete else []
        if not changed and not removed:
            return Stored(current, {}, [])
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
        return Stored(version, {p: b for p, (_, b) in changed.items()}, removed)


def refresh_or_raise(public_incident_ids: list[str] | None = None) -> Stored:
    """Render and store; see `refresh`. Raises on failure (for tests and the CLI)."""
    for _ in range(OPTIMISTIC_ATTEMPTS):
        expected = latest_version()
        documents, complete = render_documents(public_incident_ids)
        stored = _store(documents, complete, expected)
        if stored is not None:
            break
    else:
        # Busy: render under the lock so this one surely lands.
        with transaction.atomic():
            list(PageSettings.objects.select_for_update().filter(pk=1).values_list("pk"))
            documents, complete = render_documents(public_incident_ids)
            stored = _store(documents, complete, None)
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

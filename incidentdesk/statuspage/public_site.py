"""Keeping the public site current: the public site is rendered when data changes, not per
request.

After a committed change `refresh()` renders every public document (render.py), stores those
whose bytes changed (store.py), lets this process serve them at once (`cache`, this process's
copy of the stored documents, which every public address is answered from) and, with
INCIDENTDESK_STATUSPAGE_EXPORT_DIR set, writes them out as static files (export.py).
`export_site` writes the whole site to a directory.

Services call `refresh_after_commit`; a periodic task (tasks.py) calls `refresh` every minute so
time-based content (today's uptime bar, maintenance about to start) stays fresh and failed
documents are tried again. A failure here is logged and never undoes the change that
triggered it.
"""

import logging

from django.conf import settings
from django.db import transaction

from incidentdesk.statuspage import export, render, store
from incidentdesk.statuspage.models import PublicDocument

logger = logging.getLogger(__name__)

# Attempts at rendering outside the write lock before rendering inside it.
OPTIMISTIC_ATTEMPTS = 3


def refresh_or_raise(public_incident_ids: list[str] | None = None) -> store.Stored:
    """Render and store; see `refresh`. Raises when the site could not be rendered or stored
    at all (for tests and the CLI); documents that failed alone are in `Stored.failures`."""
    for _ in range(OPTIMISTIC_ATTEMPTS):
        expected = store.latest_version()
        stored = store.store_rendered(render.render_documents(public_incident_ids), expected)
        if stored is not None:
            break
    else:
        # Busy: render under the lock so this one surely lands.
        with transaction.atomic():
            store.lock_for_writing()
            stored = store.store_rendered(render.render_documents(public_incident_ids), None)
    if stored.changed or stored.removed:
        # This process serves the change at once; the others see it at their next check.
        cache.expire()
        if settings.STATUSPAGE_EXPORT_DIR:
            export.write_changes(settings.STATUSPAGE_EXPORT_DIR, stored.changed, stored.removed)
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


def export_site(directory, render: bool = True) -> int:
    """Write the whole public site into `directory` (export.write_site). Renders first
    (unless `render` is false, and nothing was ever stored), so the files are current.
    Returns the number of documents."""
    if render or not PublicDocument.objects.exists():
        refresh_or_raise()
    return export.write_site(directory)


cache = store.DocumentCache(render_first=refresh)

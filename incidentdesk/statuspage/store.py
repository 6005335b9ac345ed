"""Keeping the rendered public documents: stored in the database, cached in each process.

`store_rendered` writes the documents of one render whose bytes changed into `PublicDocument`,
each with a strong ETag, under one new version number. `DocumentCache` is a process's copy of
them: at most every CHECK_INTERVAL seconds it asks the database for the latest version (one
indexed query) and reloads the documents that changed, so a change is served within about
half a second of being stored, while a traffic spike costs no database work at all. If the
database is unreachable the last documents loaded keep being served. `NarrowedFeeds` keeps
the feeds narrowed to one component the same way.
"""

import gzip
import hashlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import overload

from django.db import DatabaseError, transaction
from django.db.models import Max
from django.utils.http import http_date

from incidentdesk.statuspage.feeds import component_feed
from incidentdesk.statuspage.models import PageSettings, PublicDocument
from incidentdesk.statuspage.render import Rendered
from incidentdesk.statuspage.render_failures import note_outcomes

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 0.5  # seconds between version checks, per process
RENDER_RETRY = 10.0  # seconds between on-demand renders when nothing was rendered yet
# Other addresses of a document: consumers poll the page's base URL + index.json.
ALIASES = {"/index.json": "/api/v2/summary.json"}


def etag_of(body: bytes) -> str:
    return f'"{hashlib.sha256(body).hexdigest()}"'


def latest_version() -> int:
    return PublicDocument.objects.aggregate(v=Max("version"))["v"] or 0


def lock_for_writing() -> None:
    """Take the one-writer-at-a-time lock, inside a transaction: PostgreSQL waits on this
    row lock; SQLite's IMMEDIATE transactions already hold the write lock."""
    list(PageSettings.objects.select_for_update().filter(pk=1).values_list("pk"))


@dataclass
class Stored:
    version: int
    changed: dict[str, bytes]
    removed: list[str]
    failures: dict[str, str] = field(default_factory=dict)


@overload
def store_rendered(rendered: Rendered, expected_version: None) -> Stored: ...
@overload
def store_rendered(rendered: Rendered, expected_version: int) -> Stored | None: ...
def store_rendered(rendered: Rendered, expected_version: int | None) -> Stored | None:
    """Write the documents whose bytes changed under one new version number, and note which
    failed. A document that failed keeps its stored version. Returns None (writing nothing)
    when another refresh stored a version since `expected_version`, so a render of older data
    never replaces a newer one."""
    with transaction.atomic():
        lock_for_writing()
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


class Document:
    """A stored document as a process serves it: its bytes, validators, and its gzip form,
    compressed the first time a client asks for it."""

    __slots__ = ("body", "etag", "content_type", "modified_at", "last_modified", "_gzipped")

    def __init__(self, body: bytes, etag: str, content_type: str, modified_at: int) -> None:
        self.body = body
        self.etag = etag
        self.content_type = content_type
        self.modified_at = modified_at  # seconds since the epoch: HTTP dates count whole ones
        self.last_modified = http_date(self.modified_at)
        self._gzipped: bytes | None = None

    def gzipped(self) -> bytes | None:
        """The body gzip-compressed, or None when that is not smaller. Computed once; two
        threads racing here compute the same bytes."""
        if self._gzipped is None:
            packed = gzip.compress(self.body, compresslevel=9, mtime=0)
            self._gzipped = packed if len(packed) < len(self.body) else b""
        return self._gzipped or None


class DocumentCache:
    """A process's copy of the stored documents, refreshed from the database when their
    version moves. `render_first` renders and stores the site when nothing was stored yet
    (a fresh install)."""

    def __init__(self, render_first: Callable[[], object], check_interval: float = CHECK_INTERVAL):
        self.render_first = render_first
        self.check_interval = check_interval
        self.documents: dict[str, Document] = {}
        self.version = -1
        self.checked_at = float("-inf")
        self.render_tried_at = float("-inf")
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Forget everything; the next request loads afresh."""
        with self._lock:
            self.documents, self.version = {}, -1
            self.checked_at = self.render_tried_at = float("-inf")

    def expire(self) -> None:
        """Check the database at the next request (called after this process rendered)."""
        self.checked_at = float("-inf")

    def get(self, path: str) -> Document | None:
        if time.monotonic() - self.checked_at >= self.check_interval:
            self.sync()
        return self.documents.get(ALIASES.get(path, path))

    def sync(self, force: bool = False) -> None:
        with self._lock:
            now = time.monotonic()
            if not force and now - self.checked_at < self.check_interval:
                return  # another thread just did it
            self.checked_at = now
            try:
                self._reload()
            except DatabaseError:
                logger.exception("could not check the public documents; serving the last ones")

    def _reload(self) -> None:
        version = latest_version()
        if version < self.version:  # the table was emptied or restored: start over
            self.documents, self.version = {}, -1
        if version == 0 and not self.documents:
            version = self._render_first()
        if version == self.version:
            return
        versions = dict(PublicDocument.objects.values_list("path", "version"))
        documents = {p: d for p, d in self.documents.items() if p in versions}
        rows = PublicDocument.objects.filter(version__gt=self.version).values_list(
            "path", "body", "etag", "content_type", "rendered_at"
        )
        for path, body, etag, kind, rendered_at in rows:
            documents[path] = Document(bytes(body), etag, kind, int(rendered_at.timestamp()))
        self.documents = documents
        self.version = version

    def _render_first(self) -> int:
        """A fresh install: nothing rendered yet, so render now (not more often than every
        RENDER_RETRY seconds if rendering fails)."""
        now = time.monotonic()
        if now - self.render_tried_at < RENDER_RETRY:
            return 0
        self.render_tried_at = now
        self.render_first()
        return latest_version()


class NarrowedFeeds:
    """Feeds narrowed to one component (feeds.component_feed renders them), rendered on first
    request and kept until the stored documents' version moves: a spike of readers costs one
    render per feed and component. Each is kept as a Document by its ETag, so it is
    gzip-compressed once, like the stored documents."""

    MAX_KEPT = 256  # answers kept per version (the component key comes from the reader)

    def __init__(self):
        self.version: int | None = None
        self.kept: dict[tuple[str, str], tuple[bytes, str] | None] = {}
        self.documents: dict[str, Document] = {}
        self._lock = threading.Lock()

    def get(self, path: str, feed: Document, key: str, version: int) -> Document | None:
        """The feed at `path` narrowed to component `key`, rendered for the documents at
        `version`; None for an unknown component."""
        with self._lock:
            if version != self.version or len(self.kept) >= self.MAX_KEPT:
                self.version, self.kept = version, {}
            if (path, key) not in self.kept:
                body = component_feed(path, key)
                self.kept[(path, key)] = None if body is None else (body, etag_of(body))
            narrowed = self.kept[(path, key)]
        if narrowed is None:
            return None
        body, etag = narrowed
        if etag not in self.documents:
            if len(self.documents) >= self.MAX_KEPT:
                self.documents = {}
            self.documents[etag] = Document(body, etag, feed.content_type, feed.modified_at)
        return self.documents[etag]


narrowed_feeds = NarrowedFeeds()

"""Serving the public site: one view for every rendered document, from memory.

Each web process keeps the rendered documents (`PublicDocument`) in memory. At most every
CHECK_INTERVAL seconds a request asks the database for the latest version (one indexed
query) and reloads the documents that changed, so a change is served within about half a
second of being rendered, while a traffic spike costs no database work at all. If the
database is unreachable the last documents loaded keep being served.

Every document is answered the same way by the Django view and by the WSGI wrapper below
(`answer` builds both): a strong ETag and `Last-Modified` (when it was rendered), 304 on
If-None-Match or If-Modified-Since, `Cache-Control: public, max-age=STATUSPAGE_MAX_AGE`,
gzip when the client accepts it (compressed once per document version, on first demand),
and CORS for every origin: `Access-Control-Allow-Origin: *` on every answer and a 204 to
the OPTIONS preflight, so a page on another site can poll with If-None-Match. HEAD is
answered; other methods get 405. No login is needed. `/index.json` is the summary (where
many Statuspage consumers look); an unknown address under /api/v2/ gets a JSON 404.
"""

import gzip
import json
import logging
import threading
import time
from functools import lru_cache

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.utils.http import http_date, parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt

from incidentdesk.statuspage.feeds import FEEDS, narrowed_feed
from incidentdesk.statuspage.models import PublicDocument

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 0.5  # seconds between version checks, per process
RENDER_RETRY = 10.0  # seconds between on-demand renders when nothing was rendered yet
ALLOWED = ("GET", "HEAD", "OPTIONS")
# Other addresses of a document: consumers poll the page's base URL + index.json.
ALIASES = {"/index.json": "/api/v2/summary.json"}
V2_PREFIX = "/api/v2/"
PREFLIGHT_MAX_AGE = 86400  # seconds a browser may keep a preflight answer (Chromium caps it)
_CORS = [
    ("Access-Control-Allow-Origin", "*"),
    ("Access-Control-Expose-Headers", "ETag"),
]
_PREFLIGHT = [
    *_CORS,
    ("Access-Control-Allow-Methods", ", ".join(ALLOWED)),
    ("Access-Control-Allow-Headers", "Content-Type, If-None-Match, If-Modified-Since"),
    ("Access-Control-Max-Age", str(PREFLIGHT_MAX_AGE)),
    ("Allow", ", ".join(ALLOWED)),
]
_STATUS_LINES = {200: "200 OK", 204: "204 No Content", 304: "304 Not Modified"}

NOT_FOUND_HTML = b"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Page not found</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;
color:#1f2328;background:#fff}a{color:#0969da}@media (prefers-color-scheme:dark){body{
color:#e6edf3;background:#0d1117}a{color:#4493f8}}</style></head>
<body><main><h1>Page not found</h1>
<p>There is no status page at this address. It may have moved, or the link may be mistyped.</p>
<p><a href="/">See the current status</a> or <a href="/history">the incident history</a>.</p>
</main></body></html>
"""
NOT_FOUND_JSON = json.dumps(
    {"detail": "Not found: the status page API has no document at this address."}
).encode()


class Document:
    """A rendered document as this process serves it: its bytes, validators, and its gzip
    form, compressed the first time a client asks for it."""

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
    """The rendered documents of this process, refreshed from the database when their
    version moves."""

    def __init__(self, check_interval: float = CHECK_INTERVAL):
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
        from incidentdesk.statuspage.render import latest_version

        version = latest_version()
        if version < self.version:  # the table was emptied or restored: start over
            self.documents, self.version = {}, -1
        if version == 0 and not self.documents:
            version = self._render_first()
        if version == self.version:
            return
        versions = dict(PublicDocument.objects.values_list("path", "version"))
        fresh = PublicDocument.objects.filter(version__gt=self.version)
        if self.version < 0:
            fresh = PublicDocument.objects.all()
        documents = {p: d for p, d in self.documents.items() if p in versions}
        rows = fresh.values_list("path", "body", "etag", "content_type", "rendered_at")
        for path, body, etag, kind, rendered_at in rows:
            documents[path] = Document(bytes(body), etag, kind, int(rendered_at.timestamp()))
        self.documents = documents
        self.version = version

    def _render_first(self) -> int:
        """A fresh install: nothing rendered yet, so render now (not more often than every
        RENDER_RETRY seconds if rendering fails)."""
        from incidentdesk.statuspage.render import latest_version, refresh

        now = time.monotonic()
        if now - self.render_tried_at < RENDER_RETRY:
            return 0
        self.render_tried_at = now
        refresh()
        return latest_version()


cache = DocumentCache()


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison: W/ prefixes are ignored."""
    if header.strip() == "*":
        return True
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(","))


@lru_cache(maxsize=64)
def accepts_gzip(accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes gzip: `gzip` (or `x-gzip`), else `*`, with a
    q-value above 0."""
    named = wildcard = None
    for item in accept_encoding.lower().split(","):
        coding, *params = (part.strip() for part in item.split(";"))
        quality = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if coding in ("gzip", "x-gzip"):
            named = max(named or 0.0, quality)
        elif coding == "*":
            wildcard = quality
    chosen = named if named is not None else wildcard
    return bool(chosen and chosen > 0)


@lru_cache(maxsize=64)
def _http_date(value: str) -> int | None:
    return parse_http_date_safe(value)


def _not_modified(document: Document, if_none_match: str, if_modified_since: str) -> bool:
    """If-None-Match decides when present; If-Modified-Since only without it, and only when
    it is a valid date no later than now (RFC 9110 13.1.3: a later one is ignored)."""
    if if_none_match:
        return _matches(if_none_match, document.etag)
    if if_modified_since:
        since = _http_date(if_modified_since.strip())
        return since is not None and document.modified_at <= since <= time.time()
    return False


def answer(
    document: Document,
    method: str,
    *,
    if_none_match: str = "",
    if_modified_since: str = "",
    accept_encoding: str = "",
) -> tuple[int, list[tuple[str, str]], bytes]:
    """(status, headers, body) for `method` (GET, HEAD or OPTIONS) on `document`. The gzip
    form carries the weak form of the ETag (the same content in other bytes), so either
    form revalidates either representation."""
    if method == "OPTIONS":
        return 204, [*_PREFLIGHT, ("Content-Length", "0")], b""
    body, etag = document.body, document.etag
    packed = document.gzipped() if accepts_gzip(accept_encoding) else None
    if packed is not None:
        body, etag = packed, f"W/{etag}"
    headers = [
        ("ETag", etag),
        ("Last-Modified", document.last_modified),
        ("Cache-Control", f"public, max-age={settings.STATUSPAGE_MAX_AGE}"),
        ("Vary", "Accept-Encoding"),
        *_CORS,
    ]
    if _not_modified(document, if_none_match, if_modified_since):
        return 304, headers, b""
    headers.append(("Content-Type", document.content_type))
    if packed is not None:
        headers.append(("Content-Encoding", "gzip"))
    headers.append(("Content-Length", str(len(body))))
    return 200, headers, b"" if method == "HEAD" else body


def not_found(request) -> HttpResponse:
    """A JSON `detail` under /api/v2/ (readable from other origins); elsewhere a friendly
    page (the rendered /404 when the pages provide one)."""
    if request.path_info.startswith(V2_PREFIX):
        body, kind = NOT_FOUND_JSON, "application/json"
    else:
        page = cache.documents.get("/404")
        body, kind = (page.body if page else NOT_FOUND_HTML), "text/html; charset=utf-8"
    response = HttpResponse(
        b"" if request.method == "HEAD" else body, status=404, content_type=kind
    )
    response["Content-Length"] = str(len(body))
    response["Cache-Control"] = f"public, max-age={settings.STATUSPAGE_MAX_AGE}"
    if kind == "application/json":
        response["Access-Control-Allow-Origin"] = "*"
    return response


class NarrowedDocuments:
    """Feeds narrowed to one component (feeds.py renders them) as Documents, kept by ETag so
    each is gzip-compressed once, like the stored documents."""

    MAX_KEPT = 256

    def __init__(self):
        self.kept: dict[str, Document] = {}

    def get(self, path: str, feed: Document, key: str) -> Document | None:
        """The feed at `path` narrowed to component `key`; None for an unknown one."""
        narrowed = narrowed_feed.get(path, key, cache.version)
        if narrowed is None:
            return None
        body, etag = narrowed
        if etag not in self.kept:
            if len(self.kept) >= self.MAX_KEPT:
                self.kept = {}
            self.kept[etag] = Document(body, etag, feed.content_type, feed.modified_at)
        return self.kept[etag]


narrowed_documents = NarrowedDocuments()


@csrf_exempt  # read-only; other methods are answered 405 rather than a CSRF failure
def public_document(request, **kwargs) -> HttpResponse:
    """Serve the rendered document at this path (see `answer`)."""
    if request.method not in ALLOWED:
        response = HttpResponse(status=405, content_type="text/plain; charset=utf-8")
        response.content = b"Method not allowed: the status page is read-only.\n"
        response["Allow"] = ", ".join(ALLOWED)
        return response
    path = request.path_info
    document = cache.get(path)
    if document is not None and "component" in request.GET and path in FEEDS:
        document = narrowed_documents.get(path, document, request.GET["component"])
    if document is None:
        return not_found(request)
    status, headers, body = answer(
        document,
        request.method,
        if_none_match=request.headers.get("If-None-Match", ""),
        if_modified_since=request.headers.get("If-Modified-Since", ""),
        accept_encoding=request.headers.get("Accept-Encoding", ""),
    )
    response = HttpResponse(body, status=status)
    del response["Content-Type"]  # set by `answer` when there is a body
    for name, value in headers:
        response[name] = value
    return response


# The same documents straight from WSGI, before Django's middleware and URL routing. -------

_SECURITY_HEADERS = [
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("X-Frame-Options", "DENY"),
]


class FirstRun:
    """Whether the first account is still to be created; asked of the database only until
    the answer is no."""

    def __init__(self):
        self.done = False

    def pending(self) -> bool:
        if not self.done:
            from incidentdesk.accounts.models import User

            self.done = User.objects.exists()
        return not self.done


def serve_public_documents(application):
    """Wrap a WSGI application so GET, HEAD and OPTIONS of a rendered public document are
    answered from memory without entering Django (the status page is the one hot path during
    an outage); everything else, unknown paths included, goes to `application` unchanged.
    Answers carry the same headers as the view, and the security headers Django's
    middleware would add."""

    first_run = FirstRun()

    def app(environ, start_response):
        method = environ.get("REQUEST_METHOD")
        # Until an account exists, Django's first-run middleware offers the setup page.
        if method not in ALLOWED or first_run.pending():
            return application(environ, start_response)
        document = cache.get(environ.get("PATH_INFO", ""))
        narrowed = "component=" in environ.get("QUERY_STRING", "")  # a feed narrowed: Django
        if document is None or (narrowed and environ.get("PATH_INFO") in FEEDS):
            return application(environ, start_response)
        status, headers, body = answer(
            document,
            method,
            if_none_match=environ.get("HTTP_IF_NONE_MATCH", ""),
            if_modified_since=environ.get("HTTP_IF_MODIFIED_SINCE", ""),
            accept_encoding=environ.get("HTTP_ACCEPT_ENCODING", ""),
        )
        start_response(_STATUS_LINES[status], headers + _SECURITY_HEADERS)
        return [body]

    return app

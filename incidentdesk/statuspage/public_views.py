"""Serving the public site: one view for every rendered document, from memory.

Each web process keeps the rendered documents (`PublicDocument`) in memory. At most every
CHECK_INTERVAL seconds a request asks the database for the latest version (one indexed
query) and reloads the documents that changed, so a change is served within about half a
second of being rendered, while a traffic spike costs no database work at all. If the
database is unreachable the last documents loaded keep being served.

Every document is served with its strong ETag (304 on If-None-Match), `Cache-Control:
public, max-age=STATUSPAGE_MAX_AGE`, and `Access-Control-Allow-Origin: *` on the JSON and
feeds. HEAD is answered; other methods get 405. No login is needed.
"""

import logging
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt

from incidentdesk.statuspage.models import PublicDocument

logger = logging.getLogger(__name__)

CHECK_INTERVAL = 0.5  # seconds between version checks, per process
RENDER_RETRY = 10.0  # seconds between on-demand renders when nothing was rendered yet
ALLOWED = ("GET", "HEAD")
_CROSS_ORIGIN_TYPES = ("application/json", "application/atom+xml", "application/rss+xml")

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


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str
    content_type: str
    cross_origin: bool


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
        return self.documents.get(path)

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
        if version == 0 and not self.documents:
            version = self._render_first()
        if version == self.version:
            return
        if version < self.version:  # the table was emptied or restored: start over
            self.documents, self.version = {}, -1
        versions = dict(PublicDocument.objects.values_list("path", "version"))
        fresh = PublicDocument.objects.filter(version__gt=self.version)
        if self.version < 0:
            fresh = PublicDocument.objects.all()
        documents = {p: d for p, d in self.documents.items() if p in versions}
        for path, body, etag, kind in fresh.values_list("path", "body", "etag", "content_type"):
            documents[path] = Document(
                bytes(body), etag, kind, kind.startswith(_CROSS_ORIGIN_TYPES)
            )
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


def _headers(response: HttpResponse, document: Document) -> HttpResponse:
    response["ETag"] = document.etag
    response["Cache-Control"] = f"public, max-age={settings.STATUSPAGE_MAX_AGE}"
    if document.cross_origin:
        response["Access-Control-Allow-Origin"] = "*"
    return response


def not_found(request) -> HttpResponse:
    """A friendly page (the rendered /404 when the pages provide one)."""
    page = cache.documents.get("/404")
    body = page.body if page else NOT_FOUND_HTML
    response = HttpResponse(
        b"" if request.method == "HEAD" else body,
        status=404,
        content_type="text/html; charset=utf-8",
    )
    response["Content-Length"] = str(len(body))
    response["Cache-Control"] = f"public, max-age={settings.STATUSPAGE_MAX_AGE}"
    return response


@csrf_exempt  # read-only; other methods are answered 405 rather than a CSRF failure
def public_document(request, **kwargs) -> HttpResponse:
    """Serve the rendered document at this path."""
    if request.method not in ALLOWED:
        response = HttpResponse(status=405, content_type="text/plain; charset=utf-8")
        response.content = b"Method not allowed: the status page is read-only.\n"
        response["Allow"] = ", ".join(ALLOWED)
        return response
    document = cache.get(request.path_info)
    if document is None:
        return not_found(request)
    if _matches(request.headers.get("If-None-Match", ""), document.etag):
        return _headers(HttpResponse(status=304), document)
    body = b"" if request.method == "HEAD" else document.body
    response = HttpResponse(body, content_type=document.content_type)
    response["Content-Length"] = str(len(document.body))
    return _headers(response, document)


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
    """Wrap a WSGI application so GET and HEAD of a rendered public document are answered
    from memory without entering Django (the status page is the one hot path during an
    outage); everything else, unknown paths included, goes to `application` unchanged.
    Answers carry the same headers as the view, and the security headers Django's
    middleware would add."""

    first_run = FirstRun()

    def app(environ, start_response):
        method = environ.get("REQUEST_METHOD")
        # Until an account exists, Django's first-run middleware offers the setup page.
        if method not in ALLOWED or first_run.pending():
            return application(environ, start_response)
        document = cache.get(environ.get("PATH_INFO", ""))
        if document is None:
            return application(environ, start_response)
        headers = [
            ("ETag", document.etag),
            ("Cache-Control", f"public, max-age={settings.STATUSPAGE_MAX_AGE}"),
            *_SECURITY_HEADERS,
        ]
        if document.cross_origin:
            headers.append(("Access-Control-Allow-Origin", "*"))
        if _matches(environ.get("HTTP_IF_NONE_MATCH", ""), document.etag):
            start_response("304 Not Modified", headers)
            return [b""]
        headers += [
            ("Content-Type", document.content_type),
            ("Content-Length", str(len(document.body))),
        ]
        start_response("200 OK", headers)
        return [b"" if method == "HEAD" else document.body]

    return app

"""Serving the public site: one view for every rendered document, from this process's copy
of the stored documents (public_site.cache, see store.DocumentCache), so a traffic spike
costs no database work at all.

Every document is answered the same way by the Django view and by the WSGI wrapper below
(`answer` builds both): a strong ETag and `Last-Modified` (when it was rendered), 304 on
If-None-Match or If-Modified-Since, `Cache-Control: public, max-age=STATUSPAGE_MAX_AGE`,
gzip when the client accepts it (compressed once per document version, on first demand),
and CORS for every origin: `Access-Control-Allow-Origin: *` on every answer and a 204 to
the OPTIONS preflight, so a page on another site can poll with If-None-Match. HEAD is
answered; other methods get 405. No login is needed. `/index.json` is the summary (where
many Statuspage consumers look); an unknown address under /api/v2/ gets a JSON 404.
"""

import json
import time
from functools import lru_cache

from django.conf import settings
from django.http import HttpResponse
from django.utils.http import parse_http_date_safe
from django.views.decorators.csrf import csrf_exempt

from incidentdesk.statuspage.feeds import FEEDS
from incidentdesk.statuspage.public_site import cache
from incidentdesk.statuspage.store import Document, narrowed_feeds

ALLOWED = ("GET", "HEAD", "OPTIONS")
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
        document = narrowed_feeds.get(path, document, request.GET["component"], cache.version)
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

"""Serving the rendered documents: ETag, Last-Modified and 304, cache and CORS headers, the
CORS preflight, gzip, /index.json, HEAD, read-only methods, 404s (JSON under /api/v2/), no
login, first render on a fresh install, changes visible fast. Most behaviours are checked on
both doors: the Django view and the WSGI wrapper `incidentdesk serve` puts in front of it."""

import gzip
import io
import json
import time
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.http import http_date

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import public_site, services
from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.public_site import refresh_or_raise
from incidentdesk.statuspage.views.public import serve_public_documents
from tests.statuspage.schemas.sample import build_page

WEB = ActionSource.WEB


@pytest.fixture(autouse=True)
def _fresh_cache():
    public_site.cache.reset()
    yield
    public_site.cache.reset()


@pytest.fixture
def page(manager):
    built = build_page(manager)
    refresh_or_raise()
    return built


@pytest.fixture
def anonymous():
    return Client()


def test_json_is_served_with_etag_cache_and_cors_headers(anonymous, page, settings):
    response = anonymous.get("/api/v2/summary.json")
    stored = PublicDocument.objects.get(path="/api/v2/summary.json")
    assert response.status_code == 200
    assert response.content == bytes(stored.body)
    assert response["ETag"] == stored.etag
    assert response["Cache-Control"] == f"public, max-age={settings.STATUSPAGE_MAX_AGE}"
    assert response["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path", ["/history.atom", "/history.rss"])
def test_feeds_are_served_cross_origin(anonymous, page, path):
    response = anonymous.get(path)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_pages_are_served_without_login(anonymous, page):
    for path in ("/", "/history", f"/incidents/{page['active'].public_id}"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert response["Content-Type"].startswith("text/html")
        assert response["ETag"]
        assert "Set-Cookie" not in response  # cacheable by any CDN


@pytest.mark.parametrize("header", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_a_matching_if_none_match_gets_304_without_a_body(anonymous, page, header):
    etag = anonymous.get("/api/v2/status.json")["ETag"]
    response = anonymous.get(
        "/api/v2/status.json", headers={"If-None-Match": header.format(etag=etag)}
    )
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag
    assert response["Cache-Control"].startswith("public, max-age=")


def test_a_stale_if_none_match_gets_the_document(anonymous, page):
    response = anonymous.get("/api/v2/status.json", headers={"If-None-Match": '"stale"'})
    assert response.status_code == 200 and json.loads(response.content)["status"]


def test_head_is_answered_without_a_body(anonymous, page):
    full = anonymous.get("/api/v2/summary.json")
    head = anonymous.head("/api/v2/summary.json")
    assert head.status_code == 200
    assert head.content == b""
    assert head["Content-Length"] == str(len(full.content))
    assert head["ETag"] == full["ETag"]


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete"])
def test_writes_are_refused_with_405(anonymous, page, method):
    response = getattr(anonymous, method)("/api/v2/summary.json")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD, OPTIONS"


@pytest.mark.parametrize("path", ["/incidents/nosuchthing1", "/history/page/99"])
def test_unknown_public_paths_get_a_friendly_404(anonymous, page, path):
    response = anonymous.get(path)
    assert response.status_code == 404
    assert b"current status" in response.content


def test_internal_incident_references_still_reach_the_desk(anonymous, page):
    reference = page["active"].incident.reference
    response = anonymous.get(f"/incidents/{reference}")
    assert response.status_code == 302 and "/login" in response["Location"]


def test_a_fresh_install_renders_on_the_first_request(anonymous, manager):
    assert not PublicDocument.objects.exists()
    response = anonymous.get("/api/v2/status.json")
    assert response.status_code == 200
    assert json.loads(response.content)["status"]["indicator"] == "none"
    assert PublicDocument.objects.exists()


def test_a_change_is_served_within_a_second(
    anonymous, page, manager, django_capture_on_commit_callbacks
):
    anonymous.get("/api/v2/summary.json")  # the process has the old documents in memory
    with django_capture_on_commit_callbacks(execute=True):
        services.publication_update(
            actor=manager, source=WEB, public_incident=page["active"], message="Visible fast."
        )
    changed_at = time.monotonic()
    seen = {"/api/v2/summary.json": False, "/": False}
    while not all(seen.values()) and time.monotonic() - changed_at < 1.0:
        for path in seen:
            seen[path] = seen[path] or b"Visible fast." in anonymous.get(path).content
        time.sleep(0.02)
    assert seen == {"/api/v2/summary.json": True, "/": True}


def test_the_last_documents_are_served_when_the_database_check_fails(anonymous, page, monkeypatch):
    anonymous.get("/api/v2/status.json")
    from django.db import DatabaseError

    from incidentdesk.statuspage import store

    def down():
        raise DatabaseError("server closed the connection")

    monkeypatch.setattr(store, "latest_version", down)
    public_site.cache.checked_at = float("-inf")
    response = anonymous.get("/api/v2/status.json")
    assert response.status_code == 200


def passed_on(environ, start_response):
    """Stands in for Django's handler behind the WSGI wrapper (the real one would close the
    test's connection)."""
    start_response("418 Passed On", [("Content-Type", "text/plain")])
    return [environ["PATH_INFO"].encode()]


def wsgi_call(path, method="GET", **headers):
    """(status line, headers, body) from the WSGI wrapper `incidentdesk serve` runs."""
    app = serve_public_documents(passed_on)
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        **headers,
    }
    seen = {}

    def start_response(status, response_headers, exc_info=None):
        seen["status"], seen["headers"] = status, dict(response_headers)

    body = b"".join(app(environ, start_response))
    return seen["status"], seen["headers"], body


class TestServedStraightFromWsgi:
    """`serve_public_documents` answers rendered documents before Django, the same way."""

    def call(self, path, method="GET", **headers):
        return wsgi_call(path, method, **headers)

    def test_a_document_is_answered_with_the_views_headers(self, page, settings):
        status, headers, body = self.call("/api/v2/summary.json")
        stored = PublicDocument.objects.get(path="/api/v2/summary.json")
        assert status == "200 OK" and body == bytes(stored.body)
        assert headers["ETag"] == stored.etag
        assert headers["Cache-Control"] == f"public, max-age={settings.STATUSPAGE_MAX_AGE}"
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Content-Length"] == str(len(body))

    def test_304_and_head(self, page):
        _, headers, _ = self.call("/")
        status, _, body = self.call("/", HTTP_IF_NONE_MATCH=headers["ETag"])
        assert status.startswith("304") and body == b""
        status, head_headers, body = self.call("/", method="HEAD")
        assert status == "200 OK" and body == b""
        assert head_headers["Content-Length"] == headers["Content-Length"]

    def test_anything_else_goes_to_django(self, page):
        assert self.call("/api/v2/summary.json", method="POST")[0].startswith("418")
        assert self.call("/incidents/nosuchthing1")[0].startswith("418")
        assert self.call("/dashboard")[0].startswith("418")

    def test_before_the_first_account_everything_goes_to_django_for_setup(self, db):
        from incidentdesk.statuspage.public_site import refresh

        refresh()  # documents exist, but nobody has an account yet
        assert PublicDocument.objects.filter(path="/").exists()
        assert self.call("/")[0].startswith("418")
        assert self.call("/api/v2/summary.json")[0].startswith("418")


# Both doors, one answer ----------------------------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict  # lower-case names
    body: bytes


def _through_django(method, path, headers) -> Answer:
    response = Client().generic(method, path, headers=headers)
    return Answer(
        response.status_code,
        {name.lower(): value for name, value in response.headers.items()},
        response.content,
    )


def _through_wsgi(method, path, headers) -> Answer:
    environ = {"HTTP_" + name.upper().replace("-", "_"): value for name, value in headers.items()}
    status, response_headers, body = wsgi_call(path, method, **environ)
    assert not status.startswith("418"), f"the wrapper passed {method} {path} on to Django"
    return Answer(
        int(status.split()[0]),
        {name.lower(): value for name, value in response_headers.items()},
        body,
    )


@pytest.fixture(params=["django view", "wsgi wrapper"])
def fetch(request, page):
    """fetch(method, path, **headers) -> Answer, through one door."""
    door = _through_django if request.param == "django view" else _through_wsgi
    return lambda method, path, **headers: door(method, path, headers)


def public_paths() -> list[str]:
    """Every document the public site serves, and its other address."""
    return sorted(PublicDocument.objects.values_list("path", flat=True)) + ["/index.json"]


def test_a_preflight_on_every_public_document_allows_any_origin_to_revalidate(fetch):
    for path in public_paths():
        answer = fetch(
            "OPTIONS",
            path,
            Origin="http://127.0.0.2:8001",
            **{
                "Access-Control-Request-Method": "GET",
                "Access-Control-Request-Headers": "content-type,if-none-match",
            },
        )
        assert answer.status == 204, path
        assert answer.body == b""
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["access-control-allow-methods"] == "GET, HEAD, OPTIONS"
        allowed = {
            h.strip().lower() for h in answer.headers["access-control-allow-headers"].split(",")
        }
        assert {"content-type", "if-none-match"} <= allowed
        assert answer.headers["access-control-expose-headers"] == "ETag"


def test_every_public_document_is_readable_from_any_origin_with_its_etag(fetch):
    for path in public_paths():
        answer = fetch("GET", path, Origin="http://127.0.0.2:8001")
        assert answer.status == 200, path
        assert answer.headers["access-control-allow-origin"] == "*"
        assert answer.headers["access-control-expose-headers"] == "ETag"
        revalidated = fetch("GET", path, **{"If-None-Match": answer.headers["etag"]})
        assert revalidated.status == 304, path
        assert revalidated.headers["access-control-allow-origin"] == "*"


def test_index_json_is_the_summary_with_the_same_headers(fetch):
    for encoding in ("", "gzip"):
        summary = fetch("GET", "/api/v2/summary.json", **{"Accept-Encoding": encoding})
        index = fetch("GET", "/index.json", **{"Accept-Encoding": encoding})
        assert index.status == 200
        assert index.body == summary.body
        assert index.headers == summary.headers
    assert fetch("GET", "/index.json", **{"If-None-Match": summary.headers["etag"]}).status == 304


def test_an_unknown_v2_document_answers_a_json_404(anonymous, page):
    for path in ("/api/v2/nothing.json", "/api/v2/incidents/nosuchthing1.json", "/api/v2/"):
        response = anonymous.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}
        assert response["Access-Control-Allow-Origin"] == "*"
        assert anonymous.head(path).status_code == 404


def test_a_document_is_gzipped_when_the_client_accepts_gzip(fetch):
    stored = PublicDocument.objects.get(path="/api/v2/summary.json")
    packed = fetch("GET", "/api/v2/summary.json", **{"Accept-Encoding": "gzip, deflate, br"})
    assert packed.status == 200
    assert packed.headers["content-encoding"] == "gzip"
    assert packed.headers["vary"] == "Accept-Encoding"
    assert packed.headers["content-length"] == str(len(packed.body))
    assert len(packed.body) < len(bytes(stored.body))
    assert gzip.decompress(packed.body) == bytes(stored.body)
    assert packed.headers["content-type"] == "application/json"

    plain = fetch("GET", "/api/v2/summary.json")
    assert "content-encoding" not in plain.headers
    assert plain.headers["vary"] == "Accept-Encoding"
    assert plain.body == bytes(stored.body)

    head = fetch("HEAD", "/", **{"Accept-Encoding": "gzip"})
    assert head.body == b"" and head.headers["content-encoding"] == "gzip"
    assert head.headers["content-length"] == str(
        len(fetch("GET", "/", **{"Accept-Encoding": "gzip"}).body)
    )


@pytest.mark.parametrize(
    ("accept_encoding", "gzipped"),
    [
        ("gzip", True),
        ("GZIP;q=0.5", True),
        ("x-gzip", True),
        ("*", True),
        ("br, deflate", False),
        ("gzip;q=0", False),
        ("gzip;q=0.0, *", False),
        ("identity, *;q=0", False),
        ("gzip;q=nonsense", False),
        ("", False),
    ],
)
def test_gzip_is_used_only_when_accept_encoding_allows_it(fetch, accept_encoding, gzipped):
    answer = fetch("GET", "/api/v2/components.json", **{"Accept-Encoding": accept_encoding})
    assert ("content-encoding" in answer.headers) is gzipped


def test_a_gzipped_answer_revalidates_with_either_etag(fetch):
    stored = PublicDocument.objects.get(path="/api/v2/summary.json")
    packed = fetch("GET", "/api/v2/summary.json", **{"Accept-Encoding": "gzip"})
    assert packed.headers["etag"] == f"W/{stored.etag}"  # same content, other bytes
    for tag in (packed.headers["etag"], stored.etag):
        again = fetch(
            "GET", "/api/v2/summary.json", **{"Accept-Encoding": "gzip", "If-None-Match": tag}
        )
        assert again.status == 304 and again.body == b""
        assert again.headers["etag"] == packed.headers["etag"]
        assert "content-encoding" not in again.headers


def test_each_document_version_is_compressed_once(fetch, monkeypatch, manager):
    calls = []
    compress = gzip.compress

    def counted(data, *args, **kwargs):
        calls.append(bytes(data))
        return compress(data, *args, **kwargs)

    monkeypatch.setattr(gzip, "compress", counted)
    for _ in range(5):
        fetch("GET", "/api/v2/status.json", **{"Accept-Encoding": "gzip"})
        fetch("GET", "/index.json", **{"Accept-Encoding": "gzip"})
        fetch("GET", "/api/v2/summary.json", **{"Accept-Encoding": "gzip"})
        fetch("GET", "/api/v2/status.json")  # not asked for: not compressed
    status = bytes(PublicDocument.objects.get(path="/api/v2/status.json").body)
    summary = bytes(PublicDocument.objects.get(path="/api/v2/summary.json").body)
    assert sorted(calls) == sorted([status, summary])

    # A new version (page.updated_at moves in every v2 document) is compressed once more.
    services.banner_set(actor=manager, source=WEB, active=True, message="A new version.")
    refresh_or_raise()
    for _ in range(3):
        fetch("GET", "/api/v2/status.json", **{"Accept-Encoding": "gzip"})
    changed = bytes(PublicDocument.objects.get(path="/api/v2/status.json").body)
    assert changed != status
    assert sorted(calls) == sorted([status, summary, changed])


def test_last_modified_is_when_the_document_was_rendered(fetch):
    stored = PublicDocument.objects.get(path="/api/v2/status.json")
    answer = fetch("GET", "/api/v2/status.json")
    assert answer.headers["last-modified"] == http_date(stored.rendered_at.timestamp())
    assert answer.headers["etag"] == stored.etag


def test_last_modified_stays_while_the_document_is_unchanged(anonymous, page):
    an_hour_ago = timezone.now() - timedelta(hours=1)
    PublicDocument.objects.update(rendered_at=an_hour_ago)
    public_site.cache.reset()
    refresh_or_raise()  # nothing changed: nothing is stored again
    assert anonymous.get("/api/v2/status.json")["Last-Modified"] == http_date(
        an_hour_ago.timestamp()
    )


def test_if_modified_since_is_honoured(fetch):
    path = "/api/v2/summary.json"
    PublicDocument.objects.update(rendered_at=timezone.now() - timedelta(hours=1))
    public_site.cache.reset()
    last_modified = fetch("GET", path).headers["last-modified"]
    stored = PublicDocument.objects.get(path=path)
    earlier = http_date(stored.rendered_at.timestamp() - 60)
    later = http_date(stored.rendered_at.timestamp() + 60)  # later, but still in the past
    for since in (last_modified, later):
        answer = fetch("GET", path, **{"If-Modified-Since": since})
        assert answer.status == 304 and answer.body == b""
        assert answer.headers["last-modified"] == last_modified
    assert fetch("GET", path, **{"If-Modified-Since": earlier}).status == 200
    assert fetch("GET", path, **{"If-Modified-Since": "not a date"}).status == 200
    # If-None-Match decides when both are sent (RFC 9110).
    both = {"If-Modified-Since": last_modified, "If-None-Match": '"stale"'}
    assert fetch("GET", path, **both).status == 200
    gzipped = fetch("GET", path, **{"If-Modified-Since": last_modified, "Accept-Encoding": "gzip"})
    assert gzipped.status == 304


def test_if_modified_since_in_the_future_is_ignored(fetch):
    # RFC 9110 13.1.3: a date later than the server's clock is invalid, so the body is sent.
    path = "/api/v2/summary.json"
    body = fetch("GET", path).body
    tomorrow = http_date(time.time() + 86400)
    answer = fetch("GET", path, **{"If-Modified-Since": tomorrow})
    assert answer.status == 200 and answer.body == body
    head = fetch("HEAD", path, **{"If-Modified-Since": tomorrow})
    assert head.status == 200 and head.headers["content-length"] == str(len(body))

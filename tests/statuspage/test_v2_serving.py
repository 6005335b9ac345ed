"""Serving the rendered documents: ETag and 304, cache and CORS headers, HEAD, read-only
methods, friendly 404s, no login, first render on a fresh install, changes visible fast."""

import json
import time

import pytest
from django.test import Client

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage import public_views, services
from incidentdesk.statuspage.models import PublicDocument
from incidentdesk.statuspage.render import refresh_or_raise
from tests.statuspage.schemas.sample import build_page

WEB = ActionSource.WEB


@pytest.fixture(autouse=True)
def _fresh_cache():
    public_views.cache.reset()
    yield
    public_views.cache.reset()


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
    assert response["Allow"] == "GET, HEAD"


@pytest.mark.parametrize(
    "path", ["/incidents/nosuchthing1", "/api/v2/nothing.json", "/history/page/99"]
)
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

    from incidentdesk.statuspage import render

    def down():
        raise DatabaseError("server closed the connection")

    monkeypatch.setattr(render, "latest_version", down)
    public_views.cache.checked_at = float("-inf")
    response = anonymous.get("/api/v2/status.json")
    assert response.status_code == 200


class TestServedStraightFromWsgi:
    """`serve_public_documents` answers rendered documents before Django, the same way."""

    @staticmethod
    def django(environ, start_response):
        """Stands in for Django's handler (which would close the test's connection)."""
        start_response("418 Passed On", [("Content-Type", "text/plain")])
        return [environ["PATH_INFO"].encode()]

    def call(self, path, method="GET", **headers):
        app = public_views.serve_public_documents(self.django)
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": __import__("io").BytesIO(b""),
            **headers,
        }
        seen = {}

        def start_response(status, response_headers, exc_info=None):
            seen["status"], seen["headers"] = status, dict(response_headers)

        body = b"".join(app(environ, start_response))
        return seen["status"], seen["headers"], body

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
        assert "Access-Control-Allow-Origin" not in headers  # HTML pages are not CORS

    def test_anything_else_goes_to_django(self, page):
        assert self.call("/api/v2/summary.json", method="POST")[0].startswith("418")
        assert self.call("/incidents/nosuchthing1")[0].startswith("418")
        assert self.call("/dashboard")[0].startswith("418")

    def test_before_the_first_account_everything_goes_to_django_for_setup(self, db):
        from incidentdesk.statuspage.render import refresh

        refresh()  # documents exist, but nobody has an account yet
        assert PublicDocument.objects.filter(path="/").exists()
        assert self.call("/")[0].startswith("418")
        assert self.call("/api/v2/summary.json")[0].startswith("418")

"""A page on another origin reads the public documents from a browser: real Chromium on a page
served from a second loopback address fetches summary.json (and /index.json) from the status
page, reads the ETag, and revalidates with If-None-Match, which needs the CORS preflight.

Two servers are tried: `incidentdesk serve` as it runs in production (gunicorn, with the WSGI
wrapper answering from memory) and pytest-django's live server (the Django view)."""

import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from incidentdesk.statuspage import public_site
from tests.processes import free_port, incidentdesk

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

OTHER_HOST = "127.0.0.2"  # another loopback address: another origin for the browser
PASSWORD = "correct-horse-battery-staple\n"

# Runs in the other origin's page: read, then revalidate with the ETag the response exposed.
REVALIDATE = """async (url) => {
    const first = await fetch(url);
    const etag = first.headers.get("ETag");
    const body = await first.json();
    const again = await fetch(url, {headers: {"If-None-Match": etag}});
    return {
        origin: location.origin,
        first: first.status,
        etag: etag,
        indicator: body.status.indicator,
        again: again.status,
        againEtag: again.headers.get("ETag"),
    };
}"""


class OtherOrigin(BaseHTTPRequestHandler):
    """A tiny site with one empty page, on another origin than the status page."""

    def do_GET(self):  # noqa: N802 - http.server's name
        body = b"<!doctype html><title>Another site</title><p>Another site."
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def other_origin():
    server = ThreadingHTTPServer((OTHER_HOST, 0), OtherOrigin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://{OTHER_HOST}:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture
def served(request, tmp_path):
    """`incidentdesk serve` on its own SQLite data dir, with an account (so the public site
    is answered by the WSGI wrapper, not the first-run setup)."""
    env = request.getfixturevalue("own_env")
    assert incidentdesk(env, "migrate", "-v0").returncode == 0
    created = incidentdesk(
        env, "user", "create", "--username", "ada", "--email", "ada@example.com", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    port = free_port()
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed with the process
    server = subprocess.Popen(
        [sys.executable, "-m", "incidentdesk", "serve", "--port", str(port), "--workers", "1",
         "--no-worker"],
        env=env, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while not _ready(base + "/healthz"):
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "serve did not answer within 60 s"
            time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()


@pytest.fixture(params=["incidentdesk serve", "django view"])
def status_site(request):
    public_site.cache.reset()  # this process's documents belong to earlier tests' data
    if request.param == "incidentdesk serve":
        return request.getfixturevalue("served")
    request.getfixturevalue("manager")  # an account, as on any installed desk
    return request.getfixturevalue("live_server").url


def test_another_origin_revalidates_the_summary_with_if_none_match(page, other_origin, status_site):
    page.goto(other_origin + "/")
    for path in ("/api/v2/summary.json", "/index.json"):
        seen = page.evaluate(REVALIDATE, status_site + path)
        assert seen["origin"] == other_origin != status_site
        assert seen["first"] == 200, path
        assert seen["etag"], f"{path}: the ETag is not exposed to the other origin"
        assert seen["indicator"] == "none"
        assert seen["again"] == 304, path
        assert seen["againEtag"] == seen["etag"]

"""A real Matrix homeserver (Synapse) for the tests, on loopback, with SQLite.

Synapse lives in its own virtualenv (`make synapse` makes `.venv-synapse/`), so its pinned
dependencies never meet ours; the tests talk to it over HTTP only. A run gets a fresh server
in a temporary folder: a generated config (one client listener on 127.0.0.1 and a free port,
no federation listener, no trusted key servers, registration by shared secret only, rate limits
raised out of the tests' way), and users made through the admin registration API.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
import signal
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import free_port, wait_for

ROOT = Path(__file__).resolve().parents[2]
SYNAPSE_PYTHON = Path(os.environ.get("INCIDENTDESK_SYNAPSE_VENV", ROOT / ".venv-synapse")) / (
    "bin/python"
)
SERVER_NAME = "incidentdesk.test"
START_SECONDS = 60  # a cold start on a busy 2-core machine; it usually answers within 2 s

# Generous everywhere: a test run sends a few hundred events from a handful of users.
_PLENTY = {"per_second": 1000, "burst_count": 10000}


@dataclass(frozen=True)
class MatrixUser:
    user_id: str
    token: str


@dataclass
class Synapse:
    url: str
    server_name: str
    shared_secret: str
    folder: Path

    def register(self, localpart: str, *, admin: bool = False) -> MatrixUser:
        """A new account, made through Synapse's shared-secret registration API."""
        endpoint = "/_synapse/admin/v1/register"
        nonce = self.call("GET", endpoint)["nonce"]
        password = secrets.token_urlsafe(16)
        body = {
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": _mac(self.shared_secret, nonce, localpart, password, admin),
        }
        answer = self.call("POST", endpoint, body)
        return MatrixUser(answer["user_id"], answer["access_token"])

    def call(self, method: str, path: str, body: dict | None = None, *, token: str = "") -> dict:
        """One Client-Server or admin API call as a plain HTTP client would make it."""
        request = urllib.request.Request(
            self.url + path,
            method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"}
            | ({"Authorization": f"Bearer {token}"} if token else {}),
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as exc:
            raise AssertionError(f"{method} {path}: {exc.code} {exc.read()[:500]!r}") from exc

    def log_tail(self, lines: int = 40) -> str:
        log = self.folder / "synapse.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


@dataclass
class MatrixWorld:
    server: Synapse
    bot: MatrixUser
    alice: MatrixUser
    bob: MatrixUser

    def as_user(self, who: MatrixUser, method: str, path: str, body: dict | None = None) -> dict:
        """A Client-Server API call made by a person, as their client would."""
        return self.server.call(method, "/_matrix/client/v3" + path, body, token=who.token)


def _mac(secret: str, nonce: str, user: str, password: str, admin: bool) -> str:
    """HMAC-SHA1 under the shared secret of the fields joined by NUL, as Synapse checks it."""
    parts = [nonce, user, password, "admin" if admin else "notadmin"]
    return hmac.new(secret.encode(), "\x00".join(parts).encode(), hashlib.sha1).hexdigest()


def require_synapse() -> None:
    """Skip when Synapse's venv is missing; under CI (`CI=true`) that is a failure."""
    if not SYNAPSE_PYTHON.exists():
        message = f"Synapse is not installed at {SYNAPSE_PYTHON.parent.parent} (run `make synapse`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def write_config(folder: Path, port: int) -> tuple[Path, str]:
    """A homeserver config for one test run; JSON, which YAML reads as it is."""
    shared_secret = secrets.token_hex(16)
    # Synapse's signing key file holds the ed25519 seed, unpadded base64: any 32 random bytes.
    seed = base64.b64encode(secrets.token_bytes(32)).decode().rstrip("=")
    (folder / "signing.key").write_text(f"ed25519 a_test {seed}\n")
    config = {
        "server_name": SERVER_NAME,
        "pid_file": str(folder / "homeserver.pid"),
        "listeners": [
            {
                "port": port,
                "bind_addresses": ["127.0.0.1"],
                "type": "http",
                "tls": False,
                "x_forwarded": False,
                "resources": [{"names": ["client"], "compress": False}],
            }
        ],
        "database": {"name": "sqlite3", "args": {"database": str(folder / "homeserver.db")}},
        "media_store_path": str(folder / "media"),
        "signing_key_path": str(folder / "signing.key"),
        "registration_shared_secret": shared_secret,
        "enable_registration": False,
        "macaroon_secret_key": secrets.token_hex(16),
        "form_secret": secrets.token_hex(16),
        "report_stats": False,
        "trusted_key_servers": [],
        "suppress_key_server_warning": True,
        "presence": {"enabled": False},
        "url_preview_enabled": False,
        "rc_message": _PLENTY,
        "rc_registration": _PLENTY,
        "rc_login": {"address": _PLENTY, "account": _PLENTY, "failed_attempts": _PLENTY},
        "rc_joins": {"local": _PLENTY, "remote": _PLENTY},
        "rc_joins_per_room": _PLENTY,
        "rc_invites": {"per_room": _PLENTY, "per_user": _PLENTY, "per_issuer": _PLENTY},
        "rc_room_creation": _PLENTY,
        "rc_admin_redaction": _PLENTY,
        "rc_profile": _PLENTY,
    }
    path = folder / "homeserver.yaml"
    path.write_text(json.dumps(config, indent=1))
    return path, shared_secret


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/_matrix/client/versions", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


@contextmanager
def running_synapse(folder: Path) -> Iterator[Synapse]:
    """Start Synapse from its own venv, wait until the client API answers, stop it afterwards."""
    require_synapse()
    port = free_port()
    config, shared_secret = write_config(folder, port)
    url = f"http://127.0.0.1:{port}"
    server = Synapse(url, SERVER_NAME, shared_secret, folder)
    with open(folder / "synapse.log", "wb") as log:
        process = subprocess.Popen(
            [str(SYNAPSE_PYTHON), "-m", "synapse.app.homeserver", "-c", str(config)],
            cwd=folder,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def up() -> bool:
            if process.poll() is not None:
                pytest.fail(f"Synapse exited with {process.returncode}:\n{server.log_tail()}")
            return _answers(url)

        wait_for(up, seconds=START_SECONDS, what="Synapse's client API", every=0.1)
        yield server
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

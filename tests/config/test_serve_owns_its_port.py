"""`incidentdesk serve` owns its port (a second server on it is refused, by serve and by the
kernel), links name the address it listens on, and its data dir is private.

One real `serve` is started for the module, on a free (so not the default) port, with a data
dir that an older version left readable by everyone."""

import json
import os
import signal
import stat
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from tests.config.test_processes import get, wait_for
from tests.processes import free_port, incidentdesk


def environment(data_dir: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST", "INCIDENTDESK_")) and k not in ("DATABASE_URL", "REDIS_URL")
    }
    env.update(
        INCIDENTDESK_DATA_DIR=str(data_dir),
        INCIDENTDESK_TASKS_IMMEDIATE="0",
        DJANGO_SETTINGS_MODULE="incidentdesk.config.settings",
        PYTHONUNBUFFERED="1",
    )
    return env


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    data = folder / "data"
    data.mkdir(mode=0o755)
    data.chmod(0o755)
    (data / "notes.txt").write_text("left by an older version")
    (data / "notes.txt").chmod(0o644)
    env, port = environment(data), free_port()
    log = open(folder / "serve.log", "w")  # noqa: SIM115 - closed with the process
    serve = subprocess.Popen(
        [sys.executable, "-m", "incidentdesk", "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=folder,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: get(f"{base}/healthz") == 200, seconds=90, what="/healthz")
        yield {"port": port, "base": base, "data": data, "folder": folder}
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(timeout=45)
        except subprocess.TimeoutExpired:
            serve.kill()
        log.close()


def test_a_second_serve_on_a_port_in_use_exits_1_with_one_line(served, tmp_path):
    # Another installation (its own data dir) asked for the same port.
    second = incidentdesk(
        environment(tmp_path / "other"), "serve", "--port", str(served["port"]), timeout=90
    )
    assert second.returncode == 1
    assert second.stderr.splitlines() == [
        f"error: 127.0.0.1:{served['port']} is already in use: "
        "stop what listens there or choose another --port"
    ]
    assert "running" not in second.stdout
    assert get(f"{served['base']}/healthz") == 200


def test_a_server_that_shares_ports_cannot_join_the_port_serve_owns(served, tmp_path):
    # granian binds with SO_REUSEPORT: had serve's socket allowed sharing, this one would start
    # and the kernel would split requests between the two.
    (tmp_path / "app.py").write_text(
        "def application(environ, start_response):\n"
        "    start_response('200 OK', [])\n"
        "    return [b'intruder']\n"
    )
    intruder = subprocess.run(
        [sys.executable, "-m", "granian", "--interface", "wsgi", "--port", str(served["port"])]
        + ["app:application"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert intruder.returncode != 0
    assert "Address already in use" in intruder.stderr


def test_links_name_the_port_serve_listens_on(served):
    with urllib.request.urlopen(f"{served['base']}/api/v2/summary.json", timeout=10) as answer:
        summary = json.load(answer)
    assert summary["page"]["url"] == served["base"]


def test_the_data_dir_is_private_to_its_owner_and_so_are_its_files(served):
    data = served["data"]
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    files = {p.name: stat.S_IMODE(p.stat().st_mode) for p in data.iterdir() if p.is_file()}
    assert {"incidentdesk.sqlite3", "tasks.sqlite3", "secret_key", "notes.txt"} <= set(files)
    assert {name: mode for name, mode in files.items() if mode != 0o600} == {}

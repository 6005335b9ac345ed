"""The real processes: the console command's exit codes, `serve` and `worker`.

Each test runs `python -m incidentdesk …` with its own data dir, so it shares nothing with the
test database.
"""

import os
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

from aiosmtpd.controller import Controller

from tests.processes import free_port, incidentdesk, wait_for

PASSWORD = "correct-horse-battery-staple\n"


def get(url: str) -> int | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status
    except OSError:
        return None


def children_of(pid: int) -> dict[int, str]:
    """Live child processes of `pid` with their command lines (from /proc)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(entry.name)] = cmdline
    return found


def is_running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_console_command_exits_2_with_one_line_on_bad_input(own_env):
    assert incidentdesk(own_env, "migrate", "-v0").returncode == 0
    created = incidentdesk(
        own_env, "user", "create", "--username", "ada", "--email", "ada@example.com", stdin=PASSWORD
    )
    assert created.returncode == 0, created.stderr
    bad = incidentdesk(
        own_env, "declare", "--title", "x", "--severity", "x", "--criteria", "immediate_response",
        "--as", "ada",
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        "error: severity: unknown level 'x'; "
        "use one of critical (sev1), major (sev2), trivial (sev3)"
    ]
    good = incidentdesk(
        own_env, "declare", "--title", "x", "--severity", "sev1",
        "--criteria", "immediate_response", "--as", "ada",
    )  # fmt: skip
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip().startswith("INC-")


def test_a_command_on_an_unmigrated_database_says_how_to_set_it_up(own_env):
    run = incidentdesk(own_env, "list")
    assert run.returncode == 1
    assert run.stderr.startswith("error: database: no such table")
    assert "incidentdesk migrate" in run.stderr
    assert "Traceback" not in run.stderr


def start_serve(own_env, tmp_path, port: int, *extra: str) -> subprocess.Popen:
    log = open(tmp_path / "serve.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "incidentdesk",
            "serve",
            "--port",
            str(port),
            "--workers",
            "1",
            *extra,
        ],
        env=own_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )


def test_serve_migrates_answers_runs_the_worker_and_stops_both_on_sigterm(own_env, tmp_path):
    port = free_port()
    serve = start_serve(own_env, tmp_path, port)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: get(f"{base}/healthz") == 200, seconds=60, what="/healthz")
        assert get(f"{base}/api/v1/openapi.json") == 200
        children = children_of(serve.pid)
        assert any("granian" in cmd for cmd in children.values()), children
        assert any("incidentdesk worker" in cmd for cmd in children.values()), children
        database = Path(own_env["INCIDENTDESK_DATA_DIR"]) / "incidentdesk.sqlite3"
        with sqlite3.connect(database) as db:
            assert db.execute("select count(*) from incidents_severity").fetchone()[0] == 3
        serve.send_signal(signal.SIGTERM)
        assert serve.wait(timeout=45) == 0
        assert not any(is_running(pid) for pid in children)
    finally:
        if serve.poll() is None:
            serve.kill()
    log = (tmp_path / "serve.log").read_text()
    assert f"IncidentDesk is running at {base}" in log
    assert "the first visit creates the admin account" in log
    assert "runserver" not in log


def test_serve_stops_the_web_server_and_fails_when_the_worker_dies(own_env, tmp_path):
    port = free_port()
    serve = start_serve(own_env, tmp_path, port)
    try:
        wait_for(
            lambda: get(f"http://127.0.0.1:{port}/healthz") == 200, seconds=60, what="/healthz"
        )
        children = children_of(serve.pid)
        worker = next(pid for pid, cmd in children.items() if "incidentdesk worker" in cmd)
        os.kill(worker, signal.SIGKILL)
        assert serve.wait(timeout=45) != 0
        assert not any(is_running(pid) for pid in children)
    finally:
        if serve.poll() is None:
            serve.kill()


class Inbox:
    def __init__(self):
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.messages.append((envelope.rcpt_tos, envelope.content.decode("utf8", "replace")))
        return "250 OK"


def test_the_worker_delivers_the_desk_announcement_through_the_queue(own_env, tmp_path):
    inbox = Inbox()
    smtp_port = free_port()
    smtp = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    smtp.start()
    env = dict(own_env, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp_port))
    worker = None
    try:
        assert incidentdesk(env, "migrate", "-v0").returncode == 0
        created = incidentdesk(
            env, "user", "create", "--username", "ada", "--email", "ada@example.com", "--desk",
            stdin=PASSWORD,
        )  # fmt: skip
        assert created.returncode == 0, created.stderr
        declared = incidentdesk(
            env, "declare", "--title", "Queue proof", "--severity", "major",
            "--criteria", "immediate_response", "--as", "ada",
        )  # fmt: skip
        assert declared.returncode == 0, declared.stderr
        reference = declared.stdout.strip()
        assert inbox.messages == []  # queued, not sent inline
        worker = subprocess.Popen(
            [sys.executable, "-m", "incidentdesk", "worker"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=tmp_path,
        )
        wait_for(lambda: inbox.messages, seconds=60, what="the announcement email")
        recipients, content = inbox.messages[0]
        assert recipients == ["ada@example.com"]
        assert f"{reference} declared: Queue proof" in content
    finally:
        if worker is not None:
            worker.send_signal(signal.SIGINT)
            worker.wait(timeout=30)
        smtp.stop()

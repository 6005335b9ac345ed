"""Real worker processes: killed with SIGKILL in the middle of a 1,000-subscriber fan-out and
restarted, every subscriber gets the message exactly once (by Message-ID); and the same
publish delivered by a worker whose queue is a real Redis.

Each test runs `python -m incidentdesk …` with its own data dir and a real SMTP server."""

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import defaultdict
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from incidentdesk.notifications import delivery as engine
from tests.processes import free_port, incidentdesk, wait_for

SUBSCRIBERS = 1000
WORKER_THREADS = 2

SETUP = """
from incidentdesk.accounts.services import user_create, user_update
from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage.subscribers import subscriber_import
admin = user_create(actor=None, source=ActionSource.CLI, username="ada",
    email="ada@example.com", password="correct-horse-battery-staple", role="admin")
# The first account joins the responders desk: off it, so only the subscribers are mailed.
admin = user_update(actor=admin, source=ActionSource.CLI, user=admin, on_responders_desk=False)
result = subscriber_import(actor=admin, source=ActionSource.CLI,
    rows=[{"email": f"user{n}@example.com"} for n in range(%d)])
print(result.created)
"""

PUBLISH = """
from incidentdesk.accounts.models import User
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_declare
from incidentdesk.statuspage.services import publication_create
ada = User.objects.get(username="ada")
incident = incident_declare(actor=ada, source=ActionSource.CLI, title="Checkout down",
    severity="major", criteria=["immediate_response"])
publication_create(actor=ada, source=ActionSource.CLI, incident=incident,
    name="Payments are failing", message="We are looking into failed card payments.")
"""

# As if the claim timeout had passed since the killed worker took its rows.
AGE_CLAIMS = """
from datetime import timedelta
from django.utils import timezone
from incidentdesk.notifications.models import Delivery
print(Delivery.objects.filter(status="sending").update(
    claimed_at=timezone.now() - timedelta(minutes=10)))
"""


class Sink:
    """A counting SMTP server that keeps each recipient's Message-IDs. A small pause per
    message keeps the fan-out running long enough to kill the worker in the middle of it."""

    def __init__(self, pause: float = 0.0):
        self.pause = pause
        self.count = 0
        self.ids: dict[str, list[str]] = defaultdict(list)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.pause:
            await asyncio.sleep(self.pause)
        message = message_from_bytes(envelope.content, policy=default_policy)
        with self.lock:
            for rcpt in envelope.rcpt_tos:
                self.ids[rcpt].append(message["Message-ID"].strip())
            self.count += 1
        return "250 OK"


def statuses(env) -> dict[str, int]:
    database = Path(env["INCIDENTDESK_DATA_DIR"]) / "incidentdesk.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        rows = db.execute("select status, count(*) from notifications_delivery group by status")
        return dict(rows.fetchall())


def start_worker(env, tmp_path, name: str) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [sys.executable, "-m", "incidentdesk", "worker", "--workers", str(WORKER_THREADS)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=tmp_path,
    )


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()


def run(env, script: str) -> str:
    done = incidentdesk(env, "shell", "-c", script)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""  # (the shell may first say what it imported)


@pytest.fixture
def sink_env(own_env):  # noqa: F811 - the imported fixture
    """An SMTP sink, and the environment of processes that send to it."""
    sink = Sink(pause=0.004)
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = dict(own_env, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port))
    yield sink, env
    controller.stop()


def prepare(env) -> None:
    assert incidentdesk(env, "migrate", "-v0").returncode == 0
    assert run(env, SETUP % SUBSCRIBERS) == str(SUBSCRIBERS)


def assert_each_got_exactly_one(sink: Sink) -> int:
    """Every subscriber got the message, each under one Message-ID. Returns raw repeats."""
    assert len(sink.ids) == SUBSCRIBERS
    assert all(len(set(ids)) == 1 for ids in sink.ids.values())
    return sum(len(ids) for ids in sink.ids.values()) - SUBSCRIBERS


def test_a_worker_killed_mid_fan_out_loses_nothing_and_repeats_at_most_its_window(
    sink_env, tmp_path
):
    sink, env = sink_env
    prepare(env)
    worker = start_worker(env, tmp_path, "worker1")
    try:
        run(env, PUBLISH)
        wait_for(lambda: sink.count >= SUBSCRIBERS // 10, seconds=90, what="10% delivered")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop(worker)
    at_kill = sink.count
    assert at_kill < SUBSCRIBERS * 0.9, f"the fan-out finished before the kill ({at_kill})"
    left = statuses(env)
    assert left.get("sent", 0) < SUBSCRIBERS
    stuck = int(run(env, AGE_CLAIMS))
    worker = start_worker(env, tmp_path, "worker2")
    try:
        wait_for(
            lambda: statuses(env).get("sent") == SUBSCRIBERS,
            seconds=120,
            what="every delivery sent after the restart",
            every=0.2,
        )
    finally:
        stop(worker)
    repeats = assert_each_got_exactly_one(sink)
    bound = WORKER_THREADS * (engine.FLUSH_EVERY + 1)
    print(
        f"\nkilled at {at_kill}/{SUBSCRIBERS} received; {stuck} claims recovered; "
        f"{repeats} raw repeats (bound {bound})"
    )
    assert repeats <= bound


def _redis_url(tmp_path):
    """TEST_REDIS_URL, or a redis-server of our own on a free port (stopped afterwards)."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is missing (CI installs it)")
        pytest.skip("redis-server is not installed")
    port = free_port()
    pidfile = tmp_path / "redis.pid"
    subprocess.run(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", str(pidfile), "--dir", str(tmp_path)],
        check=True,
    )  # fmt: skip
    try:
        wait_for(pidfile.exists, seconds=10, what="redis-server to start")
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        wait_for(pidfile.exists, seconds=10, what="redis-server's pid file")
        os.kill(int(pidfile.read_text()), signal.SIGTERM)


@pytest.fixture
def redis_url(tmp_path):
    yield from _redis_url(tmp_path)


def test_a_worker_on_a_real_redis_queue_delivers_everything(sink_env, tmp_path, redis_url):
    import redis

    sink, env = sink_env
    env = dict(env, REDIS_URL=redis_url)
    client = redis.Redis.from_url(redis_url)
    wait_for(lambda: _ping(client), seconds=10, what="redis to answer")
    prepare(env)
    run(env, PUBLISH)
    assert any(key.startswith(b"huey") for key in client.keys("*"))  # queued in Redis
    worker = start_worker(env, tmp_path, "redis-worker")
    try:
        wait_for(
            lambda: statuses(env).get("sent") == SUBSCRIBERS,
            seconds=120,
            what="every delivery sent through the Redis queue",
            every=0.2,
        )
    finally:
        stop(worker)
    assert assert_each_got_exactly_one(sink) == 0


def _ping(client) -> bool:
    try:
        return bool(client.ping())
    except Exception:
        return False

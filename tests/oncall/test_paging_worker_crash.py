"""A real worker process killed with SIGKILL in the middle of an escalation, and restarted:
every step of the page happens once (one notice per person per step and round, one delivery
each, one message each by Message-ID), none is skipped, and the page ends exhausted with its
outcome told to the admin.

The page's waits are real minutes; instead of sleeping, the test makes the next step due the
way the passing of time would (`next_at` moved to the past) and queues the escalation task, as
the one-off task for that time would; the worker runs it. Everything else is the real thing:
`python -m incidentdesk worker` with its own SQLite database and task queue (and, when the suite
runs on PostgreSQL, again with a PostgreSQL database of its own), and an SMTP server on
loopback."""

import os
import signal
import sqlite3
from collections import Counter
from pathlib import Path

import psycopg
import pytest
from aiosmtpd.controller import Controller
from django.db import connection

from incidentdesk.notifications import delivery as engine
from tests.notifications.test_worker_crash import (
    AGE_CLAIMS,
    WORKER_THREADS,
    Sink,
    run,
    start_worker,
    stop,
)
from tests.processes import free_port, incidentdesk, wait_for

TEAM = 30  # everyone in the schedule, notified by step 2

SETUP = """
from datetime import time
from django.utils import timezone
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.policies import policy_create
from incidentdesk.oncall.services import layer_add, schedule_create
CLI = ActionSource.CLI
root = user_create(actor=None, source=CLI, username="root", email="root@example.com",
    password="correct-horse-battery-staple", role="admin")
for name in ["ada", "bob"] + [f"t{n:02}" for n in range(%d)]:
    User.objects.create_user(name, f"{name}@example.com", role="responder")
team = list(User.objects.filter(username__startswith="t").order_by("username"))
everyone = schedule_create(actor=root, source=CLI, name="Everyone", time_zone="UTC")
layer_add(actor=root, source=CLI, schedule=everyone, people=[u.pk for u in team],
    rotation_start=timezone.now().date(), handoff_time=time(0, 0))
policy_create(actor=root, source=CLI, name="Ops", repeat=1, steps=[
    {"target": "person", "person": "ada", "wait_minutes": 5},
    {"target": "schedule_all", "schedule": "Everyone", "wait_minutes": 5},
    {"target": "person", "person": "bob", "wait_minutes": 5},
])
print("ready")
"""

PAGE = """
from incidentdesk.accounts.models import User
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.paging import page_create
page = page_create(actor=User.objects.get(username="root"), source=ActionSource.CLI,
    policy="Ops", summary="Disk full on db1")
print(page.pk)
"""

# As if the current step's wait had passed: the page is due now, and the task queued for that
# moment is in the queue.
COME_DUE = """
from datetime import timedelta
from django.utils import timezone
from incidentdesk.oncall.models import Page
from incidentdesk.oncall.tasks import escalate
print(Page.objects.filter(status="open").update(next_at=timezone.now() - timedelta(seconds=1)))
escalate()
"""

# As if the grace and claim timeouts had passed since the killed worker took its work, then the
# sweep the minute tick would queue.
RECOVER = (
    AGE_CLAIMS
    + """
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.notifications.tasks import sweep
OutboxEvent.objects.filter(fanned_out_at__isnull=True).update(
    created_at=timezone.now() - timedelta(minutes=1))
sweep()
"""
)


def query(env, sql: str) -> list[tuple]:
    if env.get("DATABASE_URL"):
        with psycopg.connect(env["DATABASE_URL"]) as db:
            return [tuple(row) for row in db.execute(sql).fetchall()]
    database = Path(env["INCIDENTDESK_DATA_DIR"]) / "incidentdesk.sqlite3"
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as db:
        return db.execute(sql).fetchall()


@pytest.fixture(params=["sqlite", "postgresql"])
def database(request, own_env):
    """The processes' own database: a SQLite file in their data dir, or, when the suite runs on
    PostgreSQL, a database of their own on that server (created here, dropped after)."""
    if request.param == "sqlite":
        yield {}
        return
    if connection.vendor != "postgresql":
        pytest.skip("the suite runs on SQLite")
    params = connection.get_connection_params()
    name = f"{connection.settings_dict['NAME']}_paging_crash"
    server = {k: params[k] for k in ("host", "port", "user", "password") if params.get(k)}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    user, password = server.get("user", ""), server.get("password", "")
    where = f"{server.get('host', '127.0.0.1')}:{server.get('port', 5432)}"
    yield {"DATABASE_URL": f"postgres://{user}:{password}@{where}/{name}"}
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def page_state(env, page_id: str) -> tuple:
    [row] = query(env, f"select status, round, step from oncall_page where id = {page_id}")
    return row


def notices(env) -> list[tuple]:
    return query(
        env,
        "select n.round, n.step, u.username from oncall_pagenotice n "
        "join accounts_user u on u.id = n.user_id order by n.round, n.step, u.username",
    )


@pytest.fixture
def sink_env(own_env, database):
    sink = Sink(pause=0.05)  # slow enough to kill the worker in the middle of a step
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = dict(own_env, EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port), **database)
    yield sink, env
    controller.stop()


def received(sink: Sink, address: str) -> int:
    with sink.lock:
        return len(set(sink.ids.get(address, [])))


def team_received(sink: Sink) -> int:
    return sum(received(sink, f"t{n:02}@example.com") for n in range(TEAM))


def test_a_worker_killed_mid_escalation_resumes_it_with_every_step_once(sink_env, tmp_path):
    sink, env = sink_env
    assert incidentdesk(env, "migrate", "-v0").returncode == 0
    assert run(env, SETUP % TEAM) == "ready"
    worker = start_worker(env, tmp_path, "worker1")
    try:
        page_id = run(env, PAGE)
        wait_for(lambda: received(sink, "ada@example.com") == 1, seconds=120, what="step 1")
        run(env, COME_DUE)  # step 2: everyone in the schedule
        wait_for(lambda: team_received(sink) >= 3, seconds=120, what="step 2 under way")
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        stop(worker)
    at_kill = team_received(sink)
    assert at_kill < TEAM, f"step 2 was delivered before the kill ({at_kill})"
    assert page_state(env, page_id) == ("open", 0, 2)  # step 2 ran; step 3 is next
    run(env, COME_DUE)  # step 3 comes due while no worker runs
    run(env, RECOVER)
    worker = start_worker(env, tmp_path, "worker2")
    try:
        wait_for(
            lambda: team_received(sink) == TEAM and received(sink, "bob@example.com") == 1,
            seconds=120,
            what="the rest of step 2 and step 3 after the restart",
            every=0.2,
        )
        for expected in ("ada", "team", "bob"):  # the second round, one step at a time
            run(env, COME_DUE)
            if expected == "team":
                wait_for(
                    lambda: team_received(sink) == 2 * TEAM, seconds=120, what="round 2 step 2"
                )
            else:
                address = f"{expected}@example.com"
                wait_for(lambda a=address: received(sink, a) == 2, seconds=120, what=expected)
        run(env, COME_DUE)  # the last wait is over: nobody acknowledged
        wait_for(lambda: received(sink, "root@example.com") == 1, seconds=120, what="the admin")
    finally:
        stop(worker)

    people = ["ada", *(f"t{n:02}" for n in range(TEAM)), "bob"]
    steps = [0] + [1] * TEAM + [2]
    expected = sorted((r, s, p) for r in (0, 1) for s, p in zip(steps, people, strict=True))
    assert notices(env) == expected  # every step of both rounds, each person once
    deliveries = query(
        env,
        "select d.status, count(*) from notifications_delivery d join notifications_outboxevent e"
        " on e.id = d.event_id where e.topic = 'page.notify' group by d.status",
    )
    assert deliveries == [("sent", len(expected))]
    for person in people:
        assert received(sink, f"{person}@example.com") == 2, person  # one message per round
    raw = Counter(rcpt for rcpt, ids in sink.ids.items() for _ in ids)
    repeats = sum(raw.values()) - len(expected) - 1
    print(f"\nkilled with {at_kill}/{TEAM} of step 2 received; {repeats} raw repeats")
    assert repeats <= WORKER_THREADS * (engine.FLUSH_EVERY + 1)
    [(status, outcome)] = query(env, f"select status, outcome from oncall_page where id={page_id}")
    assert status == "exhausted"
    assert outcome == "nobody acknowledged after 3 steps × 2 rounds; last notified: bob"

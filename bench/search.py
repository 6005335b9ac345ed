"""Benchmark: full-text search over 20,000 timeline entries (500 incidents, their action items
and postmortems), on SQLite and PostgreSQL. Prints p50/p99 of each kind of query.

    python bench/search.py                  # SQLite (a fresh temp data dir)
    python bench/search.py --postgres       # also PostgreSQL (a fresh bench database)
    python bench/search.py --entries 100000 --repeat 50

The data is written with bulk inserts, so the index's triggers do their work as they would for
writes one at a time (the time to write it, triggers included, is printed too). Entries are
sentences drawn from a vocabulary of 3,000 words with a Zipf-like spread, so some words are in a
third of the entries and most in a handful. Queries: a common word, a rare word, two words, a
phrase, a prefix, an excluded word, and a word that is nowhere; each as an admin (every
incident) and as a responder outside the restricted tenth of the incidents, through the
selector (`search.selectors.search`, page 1 of 20: wall clock, and this process's CPU time,
which on SQLite includes the database's work and moves least on a busy machine) and through
`GET /api/v1/search`.

PostgreSQL: a database `incidentdesk_bench_search` is (re)created with psql as user
incidentdesk on 127.0.0.1:5432 (override with --postgres-url of an existing, empty database).
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import machine_load, quantiles  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_DB = "incidentdesk_bench_search"
PG_URL = f"postgres://incidentdesk:incidentdesk@127.0.0.1:5432/{PG_DB}"
# Words of an outage, the most frequent first; made-up words fill the long tail.
OPS_WORDS = [
    *("database", "replica", "primary", "failover", "latency", "timeout", "connection"),
    *("pool", "deploy", "rollback", "cache", "eviction", "disk", "full", "memory", "leak"),
    *("queue", "backlog", "certificate", "expired", "dns", "resolver", "load", "balancer"),
    *("kubernetes", "node", "drain", "restart", "checkout", "payments", "login", "api"),
    *("gateway", "error", "rate", "limit", "retry", "storm", "migration", "index", "lock"),
    *("contention", "network", "partition", "packet", "loss"),
]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    made = {"".join(rng.choice(letters) for _ in range(rng.randint(4, 10))) for _ in range(size)}
    return OPS_WORDS + sorted(made)


def sentence(rng: random.Random, words: list[str], weights: list[float]) -> str:
    return " ".join(rng.choices(words, weights, k=rng.randint(6, 24))).capitalize() + "."


def generate(entries: int, incidents: int) -> float:
    """Fill the migrated, empty database; returns the seconds the inserts took."""
    from django.db import transaction
    from django.utils import timezone

    from incidentdesk.incidents.models import ActionItem, Incident, Severity, TimelineEntry
    from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate

    rng = random.Random(13)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    severity = Severity.objects.order_by("position").first()
    template = PostmortemTemplate.objects.first()
    now = timezone.now()
    started = time.perf_counter()
    with transaction.atomic():
        made = Incident.objects.bulk_create(
            Incident(
                reference=f"INC-2026-{n:04d}",
                year=2026,
                number=n,
                title=sentence(rng, words, weights)[:120],
                summary=sentence(rng, words, weights),
                impact=sentence(rng, words, weights),
                severity=severity,
                status=rng.choice(["investigating", "resolved", "closed"]),
                restricted=n % 10 == 0,
                declared_at=now - timedelta(hours=n),
            )
            for n in range(1, incidents + 1)
        )
        each = entries // incidents
        batch = []
        for incident in made:
            for k in range(each):
                batch.append(
                    TimelineEntry(
                        incident=incident,
                        kind="note",
                        source="web",
                        body=sentence(rng, words, weights),
                        occurred_at=incident.declared_at + timedelta(minutes=k),
                    )
                )
            if len(batch) >= 5000:
                TimelineEntry.objects.bulk_create(batch)
                batch = []
        TimelineEntry.objects.bulk_create(batch)
        ActionItem.objects.bulk_create(
            ActionItem(incident=i, title=sentence(rng, words, weights)[:190]) for i in made
        )
        if template is not None:
            Postmortem.objects.bulk_create(
                Postmortem(
                    incident=i,
                    template=template,
                    sections={
                        "summary": sentence(rng, words, weights),
                        "cause": sentence(rng, words, weights) * 3,
                    },
                )
                for i in made[::2]
            )
    return time.perf_counter() - started


QUERIES = {
    "common word": "database",
    "rare word": None,  # picked from the vocabulary's tail
    "two words": "connection pool",
    "phrase": '"disk full"',
    "prefix": "fail*",
    "excluded word": "database -replica",
    "nowhere": "zzzzqqqq",
}


def measure(repeat: int) -> dict:
    from django.test import Client

    from incidentdesk.accounts.models import Role, User
    from incidentdesk.search.selectors import search

    admin = User.objects.create_user("bench-admin", password="x", role=Role.ADMIN)
    responder = User.objects.create_user("bench-rita", password="x", role=Role.RESPONDER)
    queries = dict(QUERIES)
    queries["rare word"] = vocabulary(random.Random(13))[-7]
    figures = {}
    for who, user in (("admin", admin), ("responder", responder)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        for name, q in queries.items():
            search(viewer=user, query=q)  # warm: the first call loads code, not the database
            client.get("/api/v1/search", {"q": q})
            times, cpu_times, api_times, count = [], [], [], 0
            for _ in range(repeat):
                t, cpu = time.perf_counter(), time.process_time()
                count = search(viewer=user, query=q).count
                times.append(time.perf_counter() - t)
                cpu_times.append(time.process_time() - cpu)
                t = time.perf_counter()
                answer = client.get("/api/v1/search", {"q": q})
                api_times.append(time.perf_counter() - t)
                assert answer.status_code == 200, answer.content
            figures[f"{who}: {name}"] = {
                "count": count,
                "selector": quantiles(times),
                "cpu": quantiles(cpu_times),
                "api": quantiles(api_times),
            }
    return figures


def trigger_cost(n: int = 2000) -> dict:
    """The time to write n entries one INSERT at a time, with the index's trigger and
    without it (dropped, then put back by index.install and the index rebuilt)."""
    from django.db import connection, transaction

    from incidentdesk.incidents.models import Incident, TimelineEntry
    from incidentdesk.search import index

    incident = Incident.objects.first()
    rng = random.Random(7)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]

    def write() -> float:
        started = time.perf_counter()
        with transaction.atomic():
            for _ in range(n):
                TimelineEntry.objects.create(
                    incident=incident, kind="note", source="web", body=sentence(rng, words, weights)
                )
        return (time.perf_counter() - started) / n * 1000

    with_trigger = write()
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("DROP TRIGGER search_index_entry_insert")
        else:
            cursor.execute("DROP TRIGGER search_index_entry_write ON incidents_timelineentry")
    without = write()
    index.install()
    index.rebuild()
    return {"with_ms": round(with_trigger, 3), "without_ms": round(without, 3)}


def child(args) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    seconds = generate(args.entries, args.incidents)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM search_index")
        rows = cursor.fetchone()[0]
    result = {"insert_s": round(seconds, 2), "index_rows": rows, "figures": measure(args.repeat)}
    result["write"] = trigger_cost()
    print(json.dumps(result))


def run(database: str, env: dict, args) -> None:
    command = [sys.executable, __file__, "--child", "--entries", str(args.entries)]
    command += ["--incidents", str(args.incidents), "--repeat", str(args.repeat)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, cwd=ROOT)
    if done.returncode != 0:
        sys.exit(f"{database} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(
        f"\n{database}: {args.incidents} incidents, {args.entries} entries written in "
        f"{result['insert_s']} s (triggers included); {result['index_rows']} index rows"
    )
    w = result["write"]
    print(
        f"one entry written (INSERT, in one transaction of 2,000): {w['with_ms']} ms with the "
        f"index's trigger, {w['without_ms']} ms without"
    )
    print(
        f"{'query':34} {'results':>7} {'p50 ms':>8} {'p99 ms':>8} {'CPU p50':>8} "
        f"{'API p50':>8} {'API p99':>8}"
    )
    for name, f in result["figures"].items():
        s, c, a = f["selector"], f["cpu"], f["api"]
        print(
            f"{name:34} {f['count']:>7} {s['p50_ms']:>8} {s['p99_ms']:>8} {c['p50_ms']:>8} "
            f"{a['p50_ms']:>8} {a['p99_ms']:>8}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--incidents", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=30, help="times each query is asked")
    parser.add_argument("--postgres", action="store_true", help="also on PostgreSQL")
    parser.add_argument("--postgres-url", default="", help="an existing, empty database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args)
    print(machine_load())
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    base.update(INCIDENTDESK_LOG_LEVEL="WARNING", INCIDENTDESK_TASKS_IMMEDIATE="1")
    run("sqlite", {**base, "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-bench-")}, args)
    if args.postgres or args.postgres_url:
        url = args.postgres_url
        if not url:
            psql = ["psql", "-h", "127.0.0.1", "-U", "incidentdesk", "-d", "postgres", "-qc"]
            pg_env = {**os.environ, "PGPASSWORD": "incidentdesk"}
            subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_DB}"], env=pg_env, check=True)
            subprocess.run([*psql, f"CREATE DATABASE {PG_DB}"], env=pg_env, check=True)
            url = PG_URL
        env = {**base, "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-bench-")}
        run("postgresql", {**env, "DATABASE_URL": url}, args)


if __name__ == "__main__":
    main()

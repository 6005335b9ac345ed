"""Benchmark: the Insights page (default view) and the API summary over 100,000 generated
incidents with timelines and actions, against `incidentdesk serve`. Prints p50/p99 per database.

    python bench/insights.py                                   # SQLite (a fresh temp data dir)
    python bench/insights.py --postgres                        # also PostgreSQL (a fresh bench db)
    python bench/insights.py --incidents 20000 --requests 30

PostgreSQL: a database `incidentdesk_bench_insights` is (re)created with psql as user
incidentdesk on 127.0.0.1:5432 (override with --postgres-url of an existing, empty database).
Target (issue 4): under 500 ms for the default view; aggregation happens in SQL.
"""

import argparse
import http.client
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import free_port, wait_ready  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PG_DB = "incidentdesk_bench_insights"
PG_URL = f"postgres://incidentdesk:incidentdesk@127.0.0.1:5432/{PG_DB}"
BATCH = 5000
TERMS = ("MISSING_ALERT", "DATA_QUALITY", "FAILED_MIGRATION", "THIRD_PARTY_ERROR", "MISSING_TEST")


def _incident_rows(first, n, severities, now, rng, Incident):
    """Incidents spread over the last two years, with measured times (some missing)."""
    rows = []
    for i in range(first, first + n):
        declared = now - timedelta(seconds=rng.randint(0, 730 * 86400))
        started = declared - timedelta(minutes=rng.randint(0, 240))
        detected = None if rng.random() < 0.1 else started + timedelta(minutes=rng.randint(0, 180))
        is_open = rng.random() < 0.02
        resolved = None
        if detected and not is_open:
            resolved = detected + timedelta(minutes=rng.expovariate(1 / 240))
        rows.append(
            Incident(
                reference=f"BENCH-{i:07d}",
                year=1900 + i // 1_000_000,
                number=i % 1_000_000 + 1,
                title=f"Generated incident {i}",
                severity_id=rng.choice(severities),
                status="investigating" if is_open else "closed",
                detection=rng.choice(["proactive", "reactive", ""]),
                declared_at=declared,
                started_at=started,
                detected_at=detected,
                resolved_at=resolved,
            )
        )
    return rows


def generate(n: int) -> None:
    """Fill the (migrated, empty) database with n incidents, 3 timeline entries and 1-2 actions
    each, a component each, and a postmortem with a taxonomy term on half of them."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
    django.setup()
    from django.apps import apps
    from django.db import transaction
    from django.utils import timezone

    from incidentdesk.incidents.models import (
        ActionItem,
        Component,
        Incident,
        Severity,
        TimelineEntry,
    )

    rng = random.Random(4)
    now = timezone.now()
    today = timezone.localdate()
    severities = list(Severity.objects.values_list("pk", flat=True))
    components = [Component.objects.get_or_create(name=f"Bench {c}")[0] for c in range(10)]
    through = Incident.components.through
    postmortems = apps.is_installed("incidentdesk.postmortems")
    if postmortems:
        from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate

        template = PostmortemTemplate.objects.first()
        postmortems = template is not None
    for start in range(0, n, BATCH):
        with transaction.atomic():
            made = Incident.objects.bulk_create(
                _incident_rows(start, min(BATCH, n - start), severities, now, rng, Incident)
            )
            if not made[0].pk:  # backends that don't return ids on bulk insert
                refs = [i.reference for i in made]
                made = list(Incident.objects.filter(reference__in=refs))
            through.objects.bulk_create(
                [through(incident_id=i.pk, component_id=rng.choice(components).pk) for i in made]
            )
            TimelineEntry.objects.bulk_create(
                [
                    TimelineEntry(
                        incident_id=i.pk,
                        kind=kind,
                        source="web",
                        body=f"{kind} entry",
                        occurred_at=i.declared_at,
                    )
                    for i in made
                    for kind in ("status_change", "note", "decision")
                ]
            )
            ActionItem.objects.bulk_create(
                [
                    ActionItem(
                        incident_id=i.pk,
                        title="Follow-up",
                        phase="follow_up",
                        status=rng.choice(["open", "in_progress", "done", "done", "wont_do"]),
                        due_date=today + timedelta(days=rng.randint(-200, 60)),
                    )
                    for i in made
                    for _ in range(rng.randint(1, 2))
                ]
            )
            if postmortems:
                Postmortem.objects.bulk_create(
                    [
                        Postmortem(
                            incident_id=i.pk,
                            template=template,
                            taxonomy_principal=rng.choice(TERMS),
                        )
                        for i in made
                        if rng.random() < 0.5
                    ]
                )
        print(f"  {start + len(made)} incidents", file=sys.stderr, end="\r")
    print(file=sys.stderr)


SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create, token_create
from incidentdesk.core.sources import ActionSource
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=ActionSource.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
_, plain = token_create(actor=user, source=ActionSource.CLI, user=user, name="bench", scope="read")
session = SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(plain, session.session_key)
"""


def _measure(port: int, path: str, headers: dict, n: int) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    timings, status = [], set()
    for _ in range(n + 2):
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        timings.append(time.perf_counter() - started)
        status.add(response.status)
    timings = sorted(timings[2:])  # the first two warm the connection and caches
    q = statistics.quantiles(timings, n=100, method="inclusive")
    return {
        "path": path,
        "status": sorted(status),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }


def _python(env, *args, capture=False):
    return subprocess.run(
        [sys.executable, *args], env=env, check=True, capture_output=capture, text=True, cwd=ROOT
    )


def run(label: str, env: dict, incidents: int, requests: int) -> list[dict]:
    _python(env, "-m", "incidentdesk", "migrate", "-v0")
    started = time.perf_counter()
    _python(env, __file__, "--generate", str(incidents))
    print(f"{label}: generated {incidents} incidents in {time.perf_counter() - started:.1f} s")
    out = _python(env, "-m", "incidentdesk", "shell", "-c", SETUP, capture=True).stdout
    token, session = out.strip().splitlines()[-1].split()
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "incidentdesk", "serve", "--port", str(port), "--no-worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        wait_ready(port, time.monotonic() + 60)
        page = {"Cookie": f"sessionid={session}"}
        api = {"Authorization": f"Bearer {token}"}
        return [
            {"database": label, **_measure(port, "/insights/", page, requests)},
            {"database": label, **_measure(port, "/api/v1/insights/summary", api, requests)},
            {
                "database": label,
                **_measure(port, "/api/v1/insights/breakdown?by=component", api, requests),
            },
        ]
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def _fresh_postgres() -> str:
    psql = ["psql", "-h", "127.0.0.1", "-U", "incidentdesk", "-d", "postgres", "-q", "-c"]
    env = {**os.environ, "PGPASSWORD": "incidentdesk"}
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {PG_DB}"], env=env, check=True)
    subprocess.run([*psql, f"CREATE DATABASE {PG_DB}"], env=env, check=True)
    return PG_URL


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per endpoint")
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--postgres-url", default="", help="an existing empty database instead")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--generate", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        sys.path.insert(0, str(ROOT))
        generate(args.generate)
        return
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    base["INCIDENTDESK_LOG_LEVEL"] = "WARNING"
    runs = []
    if not args.no_sqlite:
        runs.append(("sqlite", {**base, "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-")}))
    if args.postgres or args.postgres_url:
        url = args.postgres_url or _fresh_postgres()
        data_dir = tempfile.mkdtemp(prefix="idk-")
        runs.append(
            ("postgresql", {**base, "INCIDENTDESK_DATA_DIR": data_dir, "DATABASE_URL": url})
        )
    for label, env in runs:
        for result in run(label, env, args.incidents, args.requests):
            print(result, flush=True)


if __name__ == "__main__":
    main()

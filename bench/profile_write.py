"""In-process profile of the API write path: CPU time and SQL queries per declare and per
command, through the whole Django stack (middleware, token auth, ninja, services, response),
with no HTTP server and no other client competing for the CPU; and per Alertmanager message at
the alert intake, as bench/alerts.py sends them (`alert-first`: a group's first message, 1 to 9
alerts; `alert-all`: its second, all 10, repeating the first).

    python bench/profile_write.py                    # CPU ms and queries per request kind
    python bench/profile_write.py --profile declare  # also cProfile one kind (declare, command)
    python bench/profile_write.py --incidents 60 --top 40
    python bench/profile_write.py --queries          # the SQL of one declare and its commands

CPU time (time.process_time) is the signal that survives a busy machine: wall-clock figures
from bench/declare_and_command.py move with whatever else runs, CPU per request barely does.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from alerts import ingest_plan

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("declare", "command", "floor", "alert-first", "alert-all")
COMMANDS = (
    "note checking the dashboards",
    "sev critical",
    "lead bench",
    "decision roll back",
    "status identified",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3, help="passes; the best is reported")
    parser.add_argument("--profile", choices=KINDS, default="")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--dump", default="", help="write the cProfile stats to this file")
    parser.add_argument("--queries", action="store_true", help="print the SQL of one round")
    args = parser.parse_args()

    for name in ("DATABASE_URL", "REDIS_URL", "INCIDENTDESK_TASKS_IMMEDIATE"):
        os.environ.pop(name, None)
    os.environ["INCIDENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="idk-profile-")
    os.environ["INCIDENTDESK_LOG_LEVEL"] = "WARNING"
    os.environ["INCIDENTDESK_BENCH_FLOOR"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from incidentdesk.accounts.services import token_create, user_create
    from incidentdesk.alerts.services import integration_create
    from incidentdesk.config.bench_floor import floor_table_create
    from incidentdesk.core.sources import ActionSource

    call_command("migrate", verbosity=0)
    floor_table_create()
    user = user_create(
        actor=None,
        source=ActionSource.CLI,
        username="bench",
        email="bench@example.com",
        password="bench-password-123",
        role="admin",
    )
    _, token = token_create(
        actor=user, source=ActionSource.CLI, user=user, name="bench", scope="write"
    )
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_HOST="127.0.0.1")
    _, key = integration_create(
        actor=user, source=ActionSource.CLI, kind="alertmanager", name="bench"
    )
    # Every group's two messages, built up front (the one client's plan of bench/alerts.py).
    (messages,), _, _ = ingest_plan(args.incidents * (args.repeat + 2), 10, 2, 1, key)
    groups = len(messages) // 2

    cpu: dict[str, float] = defaultdict(float)
    count: dict[str, int] = defaultdict(int)
    queries: dict[str, int] = defaultdict(int)
    profiler = cProfile.Profile()

    def call(kind, path, body):
        connection.queries_log.clear()  # it keeps 9,000 queries, then counts go wrong
        with CaptureQueriesContext(connection) as captured:
            if args.profile == kind:
                profiler.enable()
            started = time.process_time()
            response = client.post(path, body, content_type="application/json")
            cpu[kind] += time.process_time() - started
            if args.profile == kind:
                profiler.disable()
        if response.status_code >= 400:
            raise SystemExit(f"{path} answered {response.status_code}: {response.content[:300]}")
        count[kind] += 1
        queries[kind] += len(captured.captured_queries)
        if show_queries:
            print(f"--- {path} {body}: {len(captured.captured_queries)} queries")
            for query in captured.captured_queries:
                print("   ", query["sql"][:220])
        return response

    # One warm-up round so first-use costs (imports, URL resolver, schema build) are not counted.
    def round_(n):
        reference = call(
            "declare",
            "/api/v1/incidents",
            {
                "title": f"Bench incident {n}",
                "severity": "major",
                "criteria": ["immediate_response"],
            },
        ).json()["reference"]
        for text in COMMANDS:
            call("command", f"/api/v1/incidents/{reference}/commands", {"text": text})
        call("floor", "/api/v1/bench/floor", {"note": f"floor {n}"})
        group = n + 2
        call("alert-first", *messages[group])
        call("alert-all", *messages[groups + group])

    show_queries = False
    round_(-2)
    show_queries = args.queries
    round_(-1)
    show_queries = False
    # The best of several passes: on a shared machine the others' load only ever adds time.
    best: dict[str, float] = {}
    for attempt in range(args.repeat):
        cpu.clear(), count.clear(), queries.clear()
        for n in range(args.incidents):
            round_(attempt * args.incidents + n)
        for kind in count:
            best[kind] = min(best.get(kind, float("inf")), cpu[kind] / count[kind])

    print(f"{'request':<12}{'count':>7}{'CPU ms/req':>12}{'queries/req':>13}")
    for kind in KINDS:
        if count[kind]:
            print(
                f"{kind:<12}{count[kind]:>7}{best[kind] * 1000:>12.2f}"
                f"{queries[kind] / count[kind]:>13.1f}"
            )
    if args.profile:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        if args.dump:
            profiler.dump_stats(args.dump)
        print(out.getvalue())


if __name__ == "__main__":
    main()

"""Benchmark: 16 concurrent API clients against `incidentdesk serve`, each declaring incidents
and posting 5 commands per incident. Prints requests/s, p50 and p99 per database.

    python bench/declare_and_command.py                       # SQLite (a fresh temp data dir)
    python bench/declare_and_command.py --postgres URL        # also on PostgreSQL
    python bench/declare_and_command.py --clients 16 --incidents 10

Target (issue 2): p99 under 50 ms on SQLite on a 2-core machine.
"""

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = (
    "note checking the dashboards",
    "sev critical",
    "lead bench",
    "decision roll back",
    "status identified",
)

SETUP = """
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create, token_create
from incidentdesk.core.sources import ActionSource
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=ActionSource.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
_, plain = token_create(actor=user, source=ActionSource.CLI, user=user, name="bench", scope="write")
print(plain)
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise SystemExit("the server did not become ready in time")


def client_loop(port, token, incidents, start, results):
    """One client, in its own process so clients don't share a GIL with each other."""
    start.wait()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    mine: list[float] = []
    errors: list = []

    def call(method, path, body):
        started = time.perf_counter()
        conn.request(method, path, json.dumps(body), headers)
        response = conn.getresponse()
        data = response.read()
        mine.append(time.perf_counter() - started)
        if response.status >= 400:
            errors.append((response.status, data[:200]))
        return data

    for n in range(incidents):
        data = call(
            "POST",
            "/api/v1/incidents",
            {
                "title": f"Bench incident {n}",
                "severity": "major",
                "criteria": ["immediate_response"],
            },
        )
        reference = json.loads(data).get("reference")
        if not reference:
            continue
        for text in COMMANDS:
            call("POST", f"/api/v1/incidents/{reference}/commands", {"text": text})
    results.put((mine, errors))


def run(label: str, env: dict, clients: int, incidents: int, workers: int, threads: int) -> dict:
    subprocess.run([sys.executable, "-m", "incidentdesk", "migrate", "-v0"], env=env, check=True)
    token = (
        subprocess.run(
            [sys.executable, "-m", "incidentdesk", "shell", "-c", SETUP],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        .stdout.strip()
        .splitlines()[-1]
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "incidentdesk",
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-worker",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_ready(port, time.monotonic() + 60)
        latencies: list[float] = []
        errors: list = []
        start, results = multiprocessing.Event(), multiprocessing.Queue()
        pool = [
            multiprocessing.Process(
                target=client_loop, args=(port, token, incidents, start, results)
            )
            for _ in range(clients)
        ]
        for process in pool:
            process.start()
        started = time.perf_counter()
        start.set()
        for _ in pool:
            mine, failed = results.get()
            latencies.extend(mine)
            errors.extend(failed)
        for process in pool:
            process.join()
        elapsed = time.perf_counter() - started
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    result = {
        "database": label,
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
    }
    if errors:
        result["first_error"] = str(errors[0])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--incidents", type=int, default=10, help="incidents per client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="a PostgreSQL URL to run against too (its tables are created/used)",
    )
    args = parser.parse_args()

    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    base["INCIDENTDESK_LOG_LEVEL"] = "WARNING"
    runs = [("sqlite", {**base, "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-bench-")})]
    if args.postgres:
        runs.append(
            (
                "postgresql",
                {
                    **base,
                    "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-bench-"),
                    "DATABASE_URL": args.postgres,
                },
            )
        )
    print(
        f"{args.clients} clients × {args.incidents} incidents"
        f" × (1 declare + {len(COMMANDS)} commands)"
    )
    results = [
        run(label, env, args.clients, args.incidents, args.workers, args.threads)
        for label, env in runs
    ]
    print(f"{'database':<12}{'requests':>10}{'errors':>8}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}")
    for r in results:
        print(
            f"{r['database']:<12}{r['requests']:>10}{r['errors']:>8}{r['requests_per_second']:>10}"
            f"{r['p50_ms']:>10}{r['p99_ms']:>10}"
        )
        if "first_error" in r:
            print("  first error:", r["first_error"])
    sqlite = results[0]
    print(
        f"target: p99 < 50 ms on SQLite → {'met' if sqlite['p99_ms'] < 50 else 'MISSED'}"
        f" ({sqlite['p99_ms']} ms)"
    )
    if len(results) > 1:
        print(
            "ratio PostgreSQL/SQLite req/s:",
            round(results[1]["requests_per_second"] / sqlite["requests_per_second"], 2),
        )


if __name__ == "__main__":
    main()

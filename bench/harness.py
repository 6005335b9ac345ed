"""What every benchmark against `incidentdesk serve` needs around its measurements: the
databases to run on (a fresh SQLite data dir, and PostgreSQL with `--postgres URL`), a management
command, the server started and stopped, a free port, the server's CPU time, quantiles, and the
machine's load when the run starts (figures on a busy machine say so).

The benchmarks import it from their own folder (`sys.path` holds the script's folder).
"""

import argparse
import contextlib
import http.client
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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


def add_postgres_option(parser: argparse.ArgumentParser) -> None:
    """`--postgres URL`: run against PostgreSQL too (default $BENCH_POSTGRES_URL)."""
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", ""),
        help="a PostgreSQL URL to run against too (its tables are created/used; a benchmark "
        "with a floor adds a bench_floor table)",
    )


def database_runs(postgres: str) -> list[tuple[str, dict[str, str]]]:
    """(database name, environment) for each run: SQLite in a fresh data dir, and PostgreSQL
    at `postgres` when given; tasks run by a real worker, logs quiet."""
    base = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    base["INCIDENTDESK_LOG_LEVEL"] = "WARNING"
    base.pop("INCIDENTDESK_TASKS_IMMEDIATE", None)
    runs = [("sqlite", {**base, "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-bench-")})]
    if postgres:
        runs.append(
            (
                "postgresql",
                {
                    **base,
                    "INCIDENTDESK_DATA_DIR": tempfile.mkdtemp(prefix="idk-bench-"),
                    "DATABASE_URL": postgres,
                },
            )
        )
    return runs


def manage(env: dict, *args: str) -> str:
    """Run `incidentdesk <args>` in `env` and return what it printed; exit with its error."""
    done = subprocess.run(
        [sys.executable, "-m", "incidentdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    if done.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{done.stderr[-2000:]}")
    return done.stdout


@contextlib.contextmanager
def served(
    env: dict, *, workers: int, threads: int = 1, worker: bool = True, floor: bool = True
) -> Iterator[tuple[subprocess.Popen, int]]:
    """`incidentdesk serve` on a free port in `env`, ready: (its process, its port). `worker`:
    with its task worker; `floor`: with `POST /api/v1/bench/floor` (INCIDENTDESK_BENCH_FLOOR).
    Stopped (its whole process group) on the way out."""
    port = free_port()
    command = [sys.executable, "-m", "incidentdesk", "serve", "--port", str(port)]
    command += ["--workers", str(workers), "--threads", str(threads)]
    if not worker:
        command.append("--no-worker")
    server = subprocess.Popen(
        command,
        env={**env, "INCIDENTDESK_BENCH_FLOOR": "1"} if floor else env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        cwd=ROOT,
    )
    try:
        wait_ready(port, time.monotonic() + 60)
        yield server, port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


def server_cpu_seconds(server: int) -> float:
    """CPU time (user + system) the server's processes have used so far: the supervisor and
    every process under it (its web workers start sessions of their own). 0 without /proc."""
    stats = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        # After the name: state ppid pgrp session ... utime (the 12th) stime (the 13th).
        stats[int(stat.parent.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    tree, total = {server}, 0
    for _ in range(4):  # supervisor → granian → its workers
        tree |= {pid for pid, (parent, _) in stats.items() if parent in tree}
    total = sum(ticks for pid, (_, ticks) in stats.items() if pid in tree)
    return total / os.sysconf("SC_CLK_TCK")


def quantiles(values: list[float]) -> dict:
    """p50, p95, p99 and the maximum of `values` (seconds), in milliseconds."""
    if not values:
        return {key: float("nan") for key in ("p50_ms", "p95_ms", "p99_ms", "max_ms")}
    if len(values) == 1:
        values = values * 2
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {
        "p50_ms": round(q[49] * 1000, 1),
        "p95_ms": round(q[94] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(max(values) * 1000, 1),
    }


def machine_load() -> str:
    """The machine when the run starts: cores and load averages, printed with the figures."""
    one, five, fifteen = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {one:.2f} {five:.2f} {fifteen:.2f} (1, 5, 15 min)"

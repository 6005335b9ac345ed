"""Benchmark: concurrent API clients against `incidentdesk serve`, measured against the floor
of the stack on the same server and database in the same run.

Three phases, each with 16 clients (one process each) on one server:

1. floor: every request is `POST /api/v1/bench/floor`, the least an authenticated write can
   cost here: the same server, middleware, bearer token and JSON handling as our endpoints,
   then one row inserted in one transaction (incidentdesk/config/bench_floor.py; the server
   is started with INCIDENTDESK_BENCH_FLOOR=1, which adds it).
2. declare + commands: each client declares incidents and posts 5 commands per incident.
3. burst: for 30 seconds each client declares an incident and PATCHes it 4 times (summary,
   impact, severity up, severity down), again and again.

Prints requests/s, p50, p99 and max per phase, the count of requests over 1 s, the server's CPU
time per request (its processes' user + system time over the phase, from /proc: the figure a
busy machine moves least), and our phases as a ratio to the floor (req/s: ours ÷ floor; p99 and
CPU: ours ÷ floor).

    python bench/declare_and_command.py                       # SQLite (a fresh temp data dir)
    python bench/declare_and_command.py --postgres URL        # also on PostgreSQL
    python bench/declare_and_command.py --clients 16 --incidents 10 --burst-seconds 30

Targets (issue 9) on a 2-core machine, SQLite: p99 under 50 ms for declare + commands, no
request over 1 s in the burst, and at least half the floor's requests/s.
"""

import argparse
import http.client
import json
import multiprocessing
import statistics
import time

from harness import (
    add_postgres_option,
    database_runs,
    machine_load,
    manage,
    served,
    server_cpu_seconds,
)

COMMANDS = (
    "note checking the dashboards",
    "sev critical",
    "lead bench",
    "decision roll back",
    "status identified",
)
BURST_PATCHES = (
    {"summary": "Checkout fails for some users"},
    {"impact": "Some payments are declined"},
    {"severity": "critical"},
    {"severity": "major"},
)
SLOW_SECONDS = 1.0

SETUP = """
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create, token_create
from incidentdesk.config.bench_floor import floor_table_create
from incidentdesk.core.sources import ActionSource
floor_table_create()
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=ActionSource.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
_, plain = token_create(actor=user, source=ActionSource.CLI, user=user, name="bench", scope="write")
print(plain)
"""


class Client:
    """One keep-alive connection that times every request it makes."""

    def __init__(self, port: int, token: str):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.latencies: list[float] = []
        self.errors: list = []

    def call(self, method: str, path: str, body: dict) -> dict:
        started = time.perf_counter()
        self.conn.request(method, path, json.dumps(body), self.headers)
        response = self.conn.getresponse()
        data = response.read()
        self.latencies.append(time.perf_counter() - started)
        if response.status >= 400:
            self.errors.append((response.status, data[:200]))
            return {}
        return json.loads(data)

    def declare(self, n: int) -> str | None:
        return self.call(
            "POST",
            "/api/v1/incidents",
            {
                "title": f"Bench incident {n}",
                "severity": "major",
                "criteria": ["immediate_response"],
            },
        ).get("reference")


def floor_plan(client: Client, requests: int, seconds: float) -> None:
    for n in range(requests):
        client.call("POST", "/api/v1/bench/floor", {"note": f"floor {n}"})


def commands_plan(client: Client, incidents: int, seconds: float) -> None:
    for n in range(incidents):
        reference = client.declare(n)
        if reference:
            for text in COMMANDS:
                client.call("POST", f"/api/v1/incidents/{reference}/commands", {"text": text})


def burst_plan(client: Client, _: int, seconds: float) -> None:
    deadline = time.perf_counter() + seconds
    n = 0
    while time.perf_counter() < deadline:
        reference = client.declare(n)
        n += 1
        if reference:
            for change in BURST_PATCHES:
                client.call("PATCH", f"/api/v1/incidents/{reference}", change)


PLANS = {"floor": floor_plan, "commands": commands_plan, "burst": burst_plan}


def client_process(plan, port, token, amount, seconds, start, results):
    """One client, in its own process so clients don't share a GIL with each other."""
    client = Client(port, token)
    start.wait()
    PLANS[plan](client, amount, seconds)
    results.put((client.latencies, client.errors))


def warm_up(port: int, token: str, rounds: int = 8) -> None:
    """A few requests of each kind first, so no phase pays for first-request costs (imports,
    URL resolution, schema building) in each server worker."""
    client = Client(port, token)
    for _ in range(rounds):
        floor_plan(client, 2, 0)
        commands_plan(client, 1, 0)
    if client.errors:
        raise SystemExit(f"the warm-up failed: {client.errors[0]}")


def phase(
    plan: str, port: int, token: str, clients: int, amount: int, seconds: float, server: int
) -> dict:
    start, results = multiprocessing.Event(), multiprocessing.Queue()
    pool = [
        multiprocessing.Process(
            target=client_process, args=(plan, port, token, amount, seconds, start, results)
        )
        for _ in range(clients)
    ]
    for process in pool:
        process.start()
    time.sleep(0.5)  # let every client connect before the clock starts
    latencies: list[float] = []
    errors: list = []
    started, cpu_before = time.perf_counter(), server_cpu_seconds(server)
    start.set()
    for _ in pool:
        mine, failed = results.get()
        latencies.extend(mine)
        errors.extend(failed)
    elapsed = time.perf_counter() - started
    server_cpu = server_cpu_seconds(server) - cpu_before
    for process in pool:
        process.join()
    latencies.sort()
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    result = {
        "phase": plan,
        "requests": len(latencies),
        "errors": len(errors),
        "seconds": round(elapsed, 2),
        "requests_per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(q[49] * 1000, 1),
        "p99_ms": round(q[98] * 1000, 1),
        "max_ms": round(latencies[-1] * 1000, 1),
        "over_1s": sum(1 for x in latencies if x > SLOW_SECONDS),
        "server_cpu_ms": round(server_cpu / len(latencies) * 1000, 2),
    }
    if errors:
        result["first_error"] = str(errors[0])
    return result


def run(label: str, env: dict, args) -> list[dict]:
    manage(env, "migrate", "-v0")
    token = manage(env, "shell", "-c", SETUP).strip().splitlines()[-1]
    per_client = args.incidents * (1 + len(COMMANDS))
    with served(env, workers=args.workers, threads=args.threads, worker=False) as (server, port):
        warm_up(port, token)
        results = [
            phase("floor", port, token, args.clients, per_client, 0, server.pid),
            phase("commands", port, token, args.clients, args.incidents, 0, server.pid),
        ]
        if args.burst_seconds > 0:
            results.append(
                phase("burst", port, token, args.clients, 0, args.burst_seconds, server.pid)
            )
    for result in results:
        result["database"] = label
    return results


def report(results: list[dict]) -> None:
    print(
        f"{'database':<12}{'phase':<10}{'requests':>9}{'errors':>7}{'req/s':>9}{'p50 ms':>9}"
        f"{'p99 ms':>9}{'max ms':>9}{'>1 s':>6}{'req/s÷floor':>13}{'p99÷floor':>11}"
        f"{'CPU ms/req':>12}{'CPU÷floor':>11}"
    )
    floors = {r["database"]: r for r in results if r["phase"] == "floor"}
    for r in results:
        floor = floors[r["database"]]
        speed = r["requests_per_second"] / floor["requests_per_second"]
        p99 = r["p99_ms"] / floor["p99_ms"] if floor["p99_ms"] else float("nan")
        cpu = (
            r["server_cpu_ms"] / floor["server_cpu_ms"] if floor["server_cpu_ms"] else float("nan")
        )
        print(
            f"{r['database']:<12}{r['phase']:<10}{r['requests']:>9}{r['errors']:>7}"
            f"{r['requests_per_second']:>9}{r['p50_ms']:>9}{r['p99_ms']:>9}{r['max_ms']:>9}"
            f"{r['over_1s']:>6}{speed:>13.2f}{p99:>11.2f}{r['server_cpu_ms']:>12}{cpu:>11.2f}"
        )
        if "first_error" in r:
            print("  first error:", r["first_error"])


def verdict(results: list[dict]) -> None:
    sqlite = {r["phase"]: r for r in results if r["database"] == "sqlite"}
    commands, floor = sqlite["commands"], sqlite["floor"]
    ratio = commands["requests_per_second"] / floor["requests_per_second"]
    print(
        f"target: p99 < 50 ms on SQLite → {'met' if commands['p99_ms'] < 50 else 'MISSED'}"
        f" ({commands['p99_ms']} ms)"
    )
    print(f"target: req/s ≥ 0.5 × floor → {'met' if ratio >= 0.5 else 'MISSED'} ({ratio:.2f})")
    if "burst" in sqlite:
        burst = sqlite["burst"]
        print(
            f"target: no burst request over 1 s → {'met' if not burst['over_1s'] else 'MISSED'}"
            f" (max {burst['max_ms']} ms, {burst['over_1s']} over 1 s)"
        )
    postgres = {r["phase"]: r for r in results if r["database"] == "postgresql"}
    if postgres:
        print(
            "ratio PostgreSQL/SQLite req/s (declare + commands):",
            round(postgres["commands"]["requests_per_second"] / commands["requests_per_second"], 2),
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--incidents", type=int, default=10, help="incidents per client")
    parser.add_argument(
        "--burst-seconds", type=float, default=30, help="length of the burst (0: no burst)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    add_postgres_option(parser)
    args = parser.parse_args()

    runs = database_runs(args.postgres)
    print(machine_load())
    print(
        f"{args.clients} clients; floor: {args.incidents * (1 + len(COMMANDS))} writes each;"
        f" commands: {args.incidents} × (1 declare + {len(COMMANDS)} commands) each;"
        f" burst: {args.burst_seconds:g} s of (1 declare + {len(BURST_PATCHES)} PATCHes)"
    )
    results = [r for label, env in runs for r in run(label, env, args)]
    report(results)
    verdict(results)


if __name__ == "__main__":
    main()

"""Benchmark: Alertmanager webhooks against `incidentdesk serve` with its worker, measured
against the floor of the stack in the same run, then the time from an alert to a page.

1. floor: 16 clients (one process each, one kept-alive connection each) send as many
   `POST /api/v1/bench/floor` as the ingest phase sends (the least an authenticated write costs
   on this stack: incidentdesk/config/bench_floor.py).
2. ingest: the same 16 clients post 10,000 alerts in 1,000 groups to an Alertmanager
   integration's `/alerts/in/<key>`, as Alertmanager (payload version 4) sends them: one
   message per notification of a group (`groupKey`, `groupLabels`, `commonLabels`, the alerts
   with their `fingerprint`, labels, annotations, `startsAt`, Go's zero `endsAt`, …), each a
   snapshot of the whole group. With `--snapshots 2` (the default) a group is sent twice: at
   `group_wait` with its first 1 to 9 alerts, then at `group_interval` with all 10, so the
   second message repeats what the first said (the repeats count, they add no alert):
   2,000 messages carrying about 15,000 alert entries. `--snapshots 1` sends each group once,
   10,000 entries in 1,000 messages. Each message is built before the clock starts. A client
   posts the groups `g` with `g % clients == its number`; no two clients write the same group,
   unless `--ha`: then the clients are 8 pairs of Alertmanagers in high availability, both of a
   pair sending the same messages in the same order, racing to open and fill each group.
   Then the database is read back: exactly 1,000 groups, every alert stored once with its
   count of receipts, nothing lost.
3. page (once the worker has emptied its queue, as each opened group is routed there, so the
   ingest's backlog is not counted): an integration with an auto-declaring route with `pages`
   (label `bench="page"`, severity critical) and an escalation policy whose one step is a
   person whose one contact method is an ntfy topic (or a webhook, `--channel webhook`) on a
   receiver on loopback, run inside this script and taking any POST as an ntfy server or a
   webhook receiver would. One client posts the first alert of `--pages` (60) new groups at
   random moments (0.2 to 0.8 s apart) and the receiver notes when each group's page arrives.
   Measured only when paging exists on this checkout (oncall/paging.py, contact methods,
   routes that page): else it says so.

Prints the machine's load average first (figures on a busy machine move), then per database:
requests, refused, p50/p95/p99/max and requests/s of floor and ingest, alerts/s, the server's
CPU time per request (its processes' user + system time over the phase, from /proc: the figure
other load moves least), ingest ÷ floor, the read-back check, the page latency, and the targets.

    python bench/alerts.py                          # SQLite (a fresh temp data dir)
    python bench/alerts.py --postgres URL           # also on PostgreSQL (its tables are used)
    BENCH_POSTGRES_URL=URL python bench/alerts.py   # the same
    python bench/alerts.py --groups 200 --pages 20  # a quick look
    python bench/alerts.py --rate 50                # 50 requests/s in all, at fixed moments

By default each client sends its next request as soon as the last is answered: the server is
saturated, and a request's latency is mostly the wait behind the 15 others (with 2 web
processes, about 8 requests' service time). `--rate` sends at fixed moments instead, as
monitoring does (Alertmanager sends per group at `group_wait`, then `group_interval`), and
counts each request's latency from its moment, waits included.

Targets (issue 11), on a 2-core machine: ingest p99 under 100 ms, exactly 1,000 groups, 0
lost; alert-to-page p99 under 5 s.
"""

import argparse
import json
import multiprocessing
import queue
import random
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import (  # noqa: E402
    add_postgres_option,
    database_runs,
    machine_load,
    manage,
    quantiles,
    served,
    server_cpu_seconds,
)

FLOOR_PATH = "/api/v1/bench/floor"
PAGE_GIVE_UP_SECONDS = 30.0
CLIENT_GIVE_UP_SECONDS = 900.0
DRAIN_SECONDS = 180.0
PENDING = "from huey.contrib.djhuey import HUEY; print(HUEY.pending_count())"
ALERTNAMES = ("HighErrorRate", "HighLatency", "DiskWillFillIn4Hours", "TargetDown", "OOMKilled")
EXTERNAL_URL = "http://alertmanager.example.net:9093"
HEADERS = {"Content-Type": "application/json", "User-Agent": "Alertmanager/0.27.0"}

SETUP = """
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create, token_create
from incidentdesk.alerts.services import integration_create
from incidentdesk.config.bench_floor import floor_table_create
from incidentdesk.core.sources import ActionSource
floor_table_create()
admin = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=ActionSource.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
_, token = token_create(actor=admin, source=ActionSource.CLI, user=admin, name="bench",
    scope="write")
keys = [integration_create(actor=admin, source=ActionSource.CLI, kind="alertmanager",
    name=f"bench {{name}} {run}")
    for name in ("ingest", "warm-up")]
print(keys[0][0].pk, keys[0][1], keys[1][1], token)
"""

COUNT = """
import json
from django.db.models import Count
from incidentdesk.alerts.models import Alert, AlertGroup
groups = AlertGroup.objects.filter(integration_id={integration})
print(json.dumps({{
    "groups": groups.count(),
    "group_keys": groups.values("group_key").distinct().count(),
    "not_firing": groups.exclude(status="firing").count(),
    "alert_counts": sorted(set(groups.values_list("alert_count", flat=True))),
    "alerts": list(Alert.objects.filter(group__integration_id={integration})
        .values_list("group__group_key", "key", "count")),
}}))
"""

# The page phase's set-up: a person reached through the receiver (ntfy or webhook), a policy
# paging them, and a route declaring (critical) and paging for alerts labelled bench="page". Prints
# the integration's key, or "unavailable: <what is missing>" on a checkout without paging.
PAGE_SETUP = """
import importlib
missing = []
for module, name in (("incidentdesk.oncall.paging", "page_create"),
        ("incidentdesk.oncall.contacts", "contact_method_add"),
        ("incidentdesk.oncall.policies", "policy_create")):
    try:
        getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError):
        missing.append(f"{{module}}.{{name}}")
if missing:
    print("unavailable:", ", ".join(missing))
    raise SystemExit(0)
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create
from incidentdesk.alerts.routes import route_create
from incidentdesk.alerts.services import integration_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.contacts import contact_method_add
from incidentdesk.oncall.policies import policy_create
S = ActionSource.CLI

def setup():
    admin = User.objects.get(username="bench")
    pagee = user_create(actor=admin, source=S, username="bench-oncall-{run}",
        email="oncall-{run}@example.com", password="bench-password-123", role="responder")
    contact_method_add(actor=admin, source=S, user=pagee, kind="{kind}", address="{url}")
    policy = policy_create(actor=admin, source=S, name="bench {run}",
        steps=[{{"target": "person", "person": pagee, "wait_minutes": 5}}])
    integration, key = integration_create(actor=admin, source=S, kind="alertmanager",
        name="bench page {run}")
    route_create(actor=admin, source=S, integration=integration.pk, position=0,
        name="bench page {run}", matchers=[{{"label": "bench", "op": "=", "value": "page"}}],
        action="declare", severity="critical", pages=True, policy=policy.pk)
    return key

try:
    print(setup())
except Exception as exc:  # paging is still being built on this checkout
    print(f"unavailable: the set-up failed: {{exc!r}}"[:300].replace(chr(10), " "))
"""

PAGE_COUNT = """
import json
from incidentdesk.alerts.models import AlertGroup
from incidentdesk.oncall.models import Page
groups = AlertGroup.objects.filter(integration__name="bench page {run}")
incidents = [i for i in groups.values_list("incident_id", flat=True) if i]
print(json.dumps({{"groups": groups.count(), "declared": len(incidents),
    "pages": Page.objects.filter(incident_id__in=incidents).count()}}))
"""


# Alertmanager's messages ------------------------------------------------------------------


def fingerprint(labels: dict[str, str]) -> str:
    """An alert's fingerprint as Alertmanager computes it (prometheus/common's label set
    signature: 64-bit FNV-1a over the sorted names and values, each followed by 0xff)."""
    h = 0xCBF29CE484222325
    for name in sorted(labels):
        for part in (name, labels[name]):
            for byte in part.encode() + b"\xff":
                h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def go_time(moment: datetime) -> str:
    """RFC 3339 with nanoseconds, as Go's encoding/json writes a time.Time in UTC."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def group_alerts(group: int, size: int, now: datetime, **extra: str) -> tuple[dict, list[dict]]:
    """Group number `group`'s labels (alertname + service, its `group_by`) and its `size`
    alerts (one per instance), started a few minutes before `now`."""
    grouping = {"alertname": ALERTNAMES[group % len(ALERTNAMES)], "service": f"svc-{group:04d}"}
    alerts = []
    for n in range(size):
        labels = {
            **grouping,
            **extra,
            "instance": f"10.{group // 250}.{group % 250}.{n + 1}:9100",
            "job": "node",
            "severity": "critical" if group % 4 == 0 else "warning",
            "team": "bench",
        }
        name, where = grouping["alertname"], labels["instance"]
        annotations = {
            "summary": f"{name} on {grouping['service']} ({where})",
            "description": f"{name} has held for 5 minutes on {where}.",
            "runbook_url": f"https://runbooks.example.net/{name}",
        }
        alerts.append(
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": go_time(now - timedelta(minutes=5, seconds=group % 60 + n)),
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": f"http://prometheus.example.net:9090/graph?g0.expr=bench{n}",
                "fingerprint": fingerprint(labels),
            }
        )
    return grouping, alerts


def message(grouping: dict, alerts: list[dict], reason: str) -> dict:
    """One webhook message of a group, with Alertmanager's fields in Alertmanager's order."""

    def common(field: str) -> dict:
        first = alerts[0][field]
        return {k: v for k, v in first.items() if all(a[field].get(k) == v for a in alerts)}

    group_labels = ", ".join(f'{k}="{v}"' for k, v in grouping.items())
    return {
        "receiver": "incidentdesk",
        "status": "firing",
        "alerts": alerts,
        "groupLabels": grouping,
        "commonLabels": common("labels"),
        "commonAnnotations": common("annotations"),
        "externalURL": EXTERNAL_URL,
        "version": "4",
        "groupKey": f'{{}}/{{team="bench"}}:{{{group_labels}}}',
        "truncatedAlerts": 0,
        "notification_reason": reason,
    }


def snapshot_sizes(group: int, size: int, snapshots: int) -> list[int]:
    """How many of the group's alerts each of its messages carries: the first 1 to size-1
    (varying by group), growing to all of them in the last."""
    if snapshots <= 1 or size <= 1:
        return [size]
    first = 1 + group % (size - 1)
    return [first + round((size - first) * s / (snapshots - 1)) for s in range(snapshots)]


def ingest_plan(
    groups: int, size: int, snapshots: int, clients: int, key: str, *, twins: bool = False
):
    """Each client's requests, (path, body) in order, and what they carry: the alert entries
    per (group key, fingerprint), and the total of entries. `twins`: the clients are pairs of
    Alertmanagers in high availability, both of a pair sending the same messages."""
    now = datetime.now(UTC)
    senders = clients // 2 if twins else clients
    plans: list[list[tuple[str, bytes]]] = [[] for _ in range(senders)]
    expected: dict[tuple[str, str], int] = {}
    entries = 0
    per_group = []
    for group in range(groups):
        grouping, alerts = group_alerts(group, size, now)
        per_group.append((grouping, alerts, snapshot_sizes(group, size, snapshots)))
    for step in range(max(len(sizes) for _, _, sizes in per_group)):
        for group, (grouping, alerts, sizes) in enumerate(per_group):
            if step >= len(sizes):
                continue
            sent = alerts[: sizes[step]]
            body = message(grouping, sent, "new alerts" if step == 0 else "updated alerts")
            plans[group % senders].append((f"/alerts/in/{key}", json.dumps(body).encode()))
            for alert in sent:
                pair = (body["groupKey"], alert["fingerprint"])
                expected[pair] = expected.get(pair, 0) + 1
            entries += len(sent)
    if twins:
        return plans + plans, {pair: 2 * n for pair, n in expected.items()}, 2 * entries
    return plans, expected, entries


# Clients ----------------------------------------------------------------------------------


def client_process(port, requests, headers, start, results, pace=None):
    """One client in its own process (clients share no GIL): its requests in order over one
    kept-alive connection; gives back (latency, status, answer) for each.

    `pace` (first offset, interval in seconds): the client's requests are due at fixed moments
    from the start instead of each as soon as the last is answered, and each one's latency
    counts from when it was due, so a request held up by a slow one before it counts its wait
    too (no coordinated omission)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    conn.connect()
    done = []
    start.wait()
    began = time.perf_counter()
    for number, (path, body) in enumerate(requests):
        started = time.perf_counter()
        if pace is not None:
            due = began + pace[0] + number * pace[1]
            if due > started:
                time.sleep(due - started)
            started = due
        try:
            conn.request("POST", path, body, headers)
            response = conn.getresponse()
            answer = response.read()
            status = response.status
        except OSError as exc:
            answer, status = str(exc).encode(), 0
            conn.close()
            conn = HTTPConnection("127.0.0.1", port, timeout=60)
        latency = time.perf_counter() - started
        try:
            summary = json.loads(answer)
        except ValueError:
            summary = {"raw": answer[:200].decode(errors="replace")}
        done.append((latency, status, summary))
    results.put(done)


def phase(
    port: int, plans: list[list[tuple[str, bytes]]], headers: dict, server: int, rate: float = 0
) -> dict:
    """Run every client's plan at once; the clock starts when all are connected. `rate`: the
    requests per second of all clients together, evenly spread (client n's first at n/rate,
    then one every clients/rate s); 0 is each client as fast as it is answered."""
    start, results = multiprocessing.Event(), multiprocessing.Queue()
    paces = [(n / rate, len(plans) / rate) if rate else None for n in range(len(plans))]
    pool = [
        multiprocessing.Process(
            target=client_process, args=(port, plan, headers, start, results, pace)
        )
        for plan, pace in zip(plans, paces, strict=True)
    ]
    for process in pool:
        process.start()
    time.sleep(0.5)  # let every client connect before the clock starts
    started, cpu_before = time.perf_counter(), server_cpu_seconds(server)
    start.set()
    try:
        done = [one for _ in pool for one in results.get(timeout=CLIENT_GIVE_UP_SECONDS)]
    except queue.Empty:
        raise SystemExit("a client sent no results in time (did it fail? see above)") from None
    elapsed = time.perf_counter() - started
    cpu = server_cpu_seconds(server) - cpu_before
    for process in pool:
        process.join()
    return {
        "requests": len(done),
        "seconds": elapsed,
        "per_second": len(done) / elapsed,
        "latency": quantiles([latency for latency, _, _ in done]),
        "refused": [(status, summary) for _, status, summary in done if not 200 <= status < 300],
        "answers": [summary for _, status, summary in done if 200 <= status < 300],
        "cpu_ms": cpu / len(done) * 1000,
    }


def check_ingest(count: dict, expected: dict, answers: list[dict], groups: int, size: int):
    """What the database holds against what was sent: lost, duplicated, miscounted."""
    stored: dict[tuple[str, str], list[int]] = {}
    for group_key, key, receipts in count["alerts"]:
        stored.setdefault((group_key, key), []).append(receipts)
    return {
        "groups": count["groups"],
        "group_keys": count["group_keys"],
        "not_firing": count["not_firing"],
        "alert_counts": count["alert_counts"],
        "alerts": len(count["alerts"]),
        "lost": sum(1 for pair in expected if pair not in stored),
        "duplicated": sum(len(rows) - 1 for rows in stored.values() if len(rows) > 1),
        "unexpected": sum(1 for pair in stored if pair not in expected),
        "miscounted": sum(1 for pair, n in expected.items() if stored.get(pair, [n]) != [n]),
        "opened": sum(a.get("groups", {}).get("opened", 0) for a in answers),
        "accepted": sum(a.get("alerts", 0) for a in answers),
        "want_groups": groups,
        "want_alerts": groups * size,
    }


# The page receiver --------------------------------------------------------------------------


class Receiver:
    """An HTTP receiver on loopback (an ntfy server's publish API, a webhook's receiver): it
    answers every POST 200 and notes when each body arrived (this process's clock)."""

    def __init__(self) -> None:
        self.received: list[tuple[float, bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append((time.perf_counter(), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def arrivals(self, marker: str) -> list[float]:
        return [at for at, body in list(self.received) if marker.encode() in body]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def page_phase(port: int, key: str, receiver: Receiver, pages: int, run: str) -> dict:
    """The first alert of `pages` new groups, one at a time at random moments; for each, the
    time until the receiver had a page naming it (its service label is in the summary)."""
    conn = HTTPConnection("127.0.0.1", port, timeout=60)
    sent: dict[str, float] = {}
    refused = []
    now = datetime.now(UTC)
    for n in range(pages):
        time.sleep(random.uniform(0.2, 0.8))
        grouping, alerts = group_alerts(10_000 + n, 1, now, bench="page")
        marker = f"{run}-{n:03d}"
        grouping["service"] = alerts[0]["labels"]["service"] = f"svc-page-{marker}"
        alerts[0]["annotations"]["summary"] = f"Checkout failing on svc-page-{marker}"
        alerts[0]["fingerprint"] = fingerprint(alerts[0]["labels"])
        body = json.dumps(message(grouping, alerts, "new alerts")).encode()
        sent[marker] = time.perf_counter()
        conn.request("POST", f"/alerts/in/{key}", body, HEADERS)
        response = conn.getresponse()
        answer = response.read()
        if not 200 <= response.status < 300:
            refused.append((response.status, answer[:200]))
    deadline = time.monotonic() + PAGE_GIVE_UP_SECONDS
    while time.monotonic() < deadline:
        if all(receiver.arrivals(marker) for marker in sent):
            break
        time.sleep(0.05)
    time.sleep(1.0)  # a second page for a group would come after the first: give it a moment
    arrived = {marker: receiver.arrivals(marker) for marker in sent}
    return {
        "latency": quantiles(
            [min(times) - sent[marker] for marker, times in arrived.items() if times]
        ),
        "groups": pages,
        "never": sum(1 for times in arrived.values() if not times),
        "twice": sum(1 for times in arrived.values() if len(times) > 1),
        "refused": refused,
    }


def drain(env: dict) -> float | None:
    """Wait until the worker's queue is empty: the seconds it took, None after DRAIN_SECONDS."""
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_SECONDS:
        if manage(env, "shell", "-c", PENDING).strip().splitlines()[-1] == "0":
            return time.perf_counter() - started
        time.sleep(0.5)
    return None


# A run on one database -----------------------------------------------------------------------


def run(label: str, env: dict, args) -> dict:
    run_id = f"{random.getrandbits(32):08x}"
    receiver = Receiver()
    env = {
        **env,
        "INCIDENTDESK_WEBHOOKS_ALLOW_PRIVATE": "1",
        "INCIDENTDESK_WEBHOOKS_ALLOW_HTTP": "1",
    }
    manage(env, "migrate", "-v0")
    integration, key, warm_key, token = (
        manage(env, "shell", "-c", SETUP.format(run=run_id)).strip().splitlines()[-1].split()
    )
    # An ntfy topic URL (the server's root, then the topic), or a webhook's URL.
    address = receiver.url + (f"/oncall-bench-{run_id}" if args.channel == "ntfy" else "/page")
    page_key = (
        manage(env, "shell", "-c", PAGE_SETUP.format(kind=args.channel, url=address, run=run_id))
        .strip()
        .splitlines()[-1]
    )
    plans, expected, entries = ingest_plan(
        args.groups, args.alerts_per_group, args.snapshots, args.clients, key, twins=args.ha
    )
    floor_plans = [
        [(FLOOR_PATH, json.dumps({"note": f"floor {n}"}).encode()) for n in range(len(plan))]
        for plan in plans
    ]
    floor_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    result: dict = {"database": label, "entries": entries, "rate": args.rate}
    try:
        with served(env, workers=args.workers, threads=args.threads) as (server, port):
            # Warm-up: every web worker pays its first-request costs here, on another integration.
            warm, _, _ = ingest_plan(8, 3, 1, 1, warm_key)
            phase(port, [floor_plans[0][:8]], floor_headers, server.pid)
            phase(port, [warm[0][:4], warm[0][4:]], HEADERS, server.pid)
            result["floor"] = phase(port, floor_plans, floor_headers, server.pid, args.rate)
            result["ingest"] = phase(port, plans, HEADERS, server.pid, args.rate)
            # What the ingest queued for the worker (each opened group is routed there) is done
            # before the page phase, so the page latency is not the ingest's backlog.
            result["drained"] = drain(env)
            if page_key.startswith("unavailable"):
                result["page"] = page_key
            else:
                result["page"] = page_phase(port, page_key, receiver, args.pages, run_id)
                result["page"]["count"] = json.loads(
                    manage(env, "shell", "-c", PAGE_COUNT.format(run=run_id))
                    .strip()
                    .splitlines()[-1]
                )
        count = json.loads(
            manage(env, "shell", "-c", COUNT.format(integration=integration))
            .strip()
            .splitlines()[-1]
        )
    finally:
        receiver.stop()
    result["check"] = check_ingest(
        count, expected, result["ingest"]["answers"], args.groups, args.alerts_per_group
    )
    return result


# Report ---------------------------------------------------------------------------------------


def report(results: list[dict]) -> None:
    print(
        f"{'database':<12}{'phase':<8}{'requests':>9}{'refused':>8}{'req/s':>8}{'p50 ms':>8}"
        f"{'p95 ms':>8}{'p99 ms':>8}{'max ms':>8}{'CPU ms/req':>11}{'p99÷floor':>10}"
        f"{'CPU÷floor':>10}"
    )
    for r in results:
        floor_p99, floor_cpu = r["floor"]["latency"]["p99_ms"], r["floor"]["cpu_ms"]
        for name in ("floor", "ingest"):
            p = r[name]
            q = p["latency"]
            print(
                f"{r['database']:<12}{name:<8}{p['requests']:>9}{len(p['refused']):>8}"
                f"{p['per_second']:>8.0f}{q['p50_ms']:>8}{q['p95_ms']:>8}{q['p99_ms']:>8}"
                f"{q['max_ms']:>8}{p['cpu_ms']:>11.1f}{q['p99_ms'] / floor_p99:>10.2f}"
                f"{p['cpu_ms'] / floor_cpu if floor_cpu else float('nan'):>10.2f}"
            )
            for status, summary in p["refused"][:3]:
                print(f"  refused: {status} {summary}")
        ingest, c = r["ingest"], r["check"]
        print(
            f"{r['database']:<12}ingest: {r['entries']} alert entries in {ingest['requests']}"
            f" messages in {ingest['seconds']:.1f} s = {r['entries'] / ingest['seconds']:.0f}"
            f" alerts/s; the intake answered {c['accepted']} accepted, {c['opened']} groups opened"
        )
        print(
            f"{r['database']:<12}stored: {c['groups']} groups ({c['group_keys']} group keys,"
            f" {c['not_firing']} not firing, alerts per group {c['alert_counts']}),"
            f" {c['alerts']} alerts; lost {c['lost']}, duplicated {c['duplicated']},"
            f" unexpected {c['unexpected']}, receipts miscounted {c['miscounted']}"
        )
        drained = r["drained"]
        print(
            f"{r['database']:<12}the worker's queue was empty"
            + (f" {drained:.1f} s after the ingest" if drained is not None else " NEVER")
            + " (the page phase starts then)"
        )
        page, why = r["page"], unmeasurable(r["page"])
        if why:
            print(f"{r['database']:<12}alert→page: not measurable on this checkout: {why}")
        else:
            q = page["latency"]
            print(
                f"{r['database']:<12}alert→page over {page['groups']} groups: p50 {q['p50_ms']}"
                f" ms, p95 {q['p95_ms']} ms, p99 {q['p99_ms']} ms, max {q['max_ms']} ms;"
                f" never paged {page['never']}, paged twice {page['twice']},"
                f" refused {len(page['refused'])}"
            )
        if not isinstance(page, str):
            n = page["count"]
            print(
                f"{r['database']:<12}page: in the database {n['groups']} groups,"
                f" {n['declared']} incidents declared, {n['pages']} pages"
            )


def unmeasurable(page: dict | str) -> str:
    """Why the page phase measured nothing (paging is missing on this checkout), or ""."""
    if isinstance(page, str):
        return page.removeprefix("unavailable: ")
    if not page["count"]["pages"]:
        return f"the route declared {page['count']['declared']} incidents and made no page"
    return ""


def verdict(results: list[dict]) -> None:
    for r in results:
        c, p99 = r["check"], r["ingest"]["latency"]["p99_ms"]
        exact = c["groups"] == c["want_groups"] == c["group_keys"] == c["opened"]
        whole = (
            c["alerts"] == c["want_alerts"]
            and not (c["lost"] or c["duplicated"] or c["unexpected"] or c["miscounted"])
            and not r["ingest"]["refused"]
            and c["accepted"] == r["entries"]
        )
        checks = [
            (f"ingest p99 < 100 ms ({pace(r['rate'])})", p99 < 100, f"{p99} ms"),
            (f"exactly {c['want_groups']} groups", exact, f"{c['groups']}"),
            ("0 lost", whole, f"{c['lost']} lost, {len(r['ingest']['refused'])} refused"),
        ]
        page, why = r["page"], unmeasurable(r["page"])
        if why:
            checks.append(("alert→page p99 < 5 s", None, f"not measurable yet: {why}"))
        else:
            met = page["latency"]["p99_ms"] < 5000 and not (page["never"] or page["refused"])
            checks.append(("alert→page p99 < 5 s", met, f"{page['latency']['p99_ms']} ms"))
        for name, met, figure in checks:
            said = "n/a" if met is None else "met" if met else "MISSED"
            print(f"{r['database']}: target {name} → {said} ({figure})")


def pace(rate: float) -> str:
    return f"paced at {rate:g} requests/s in all" if rate else "each client as fast as answered"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=16, help="concurrent senders")
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--alerts-per-group", type=int, default=10)
    parser.add_argument(
        "--snapshots", type=int, default=2, help="messages per group, the last with all alerts"
    )
    parser.add_argument(
        "--ha",
        action="store_true",
        help="the clients are pairs of Alertmanagers in high availability: both of a pair send"
        " every message, at about the same moment (twice the messages)",
    )
    parser.add_argument("--pages", type=int, default=60, help="groups in the page phase")
    parser.add_argument(
        "--channel", choices=("ntfy", "webhook"), default="ntfy", help="the pagee's contact method"
    )
    parser.add_argument(
        "--rate",
        type=float,
        default=0,
        help="requests per second of all clients together, at fixed moments (latency counted"
        " from each request's moment); 0, the default: each client sends as soon as answered",
    )
    parser.add_argument("--workers", type=int, default=2, help="web server processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per web process")
    add_postgres_option(parser)
    args = parser.parse_args()
    if args.ha and args.clients % 2:
        parser.error("--ha needs an even number of --clients (pairs of Alertmanagers)")

    print(machine_load())
    print(
        f"{args.clients} clients ({pace(args.rate)}); ingest: {args.groups} groups"
        f" × {args.alerts_per_group} alerts,"
        f" {args.snapshots} message(s) per group (each a snapshot of the group"
        f"{', sent by both Alertmanagers of a pair' if args.ha else ''});"
        f" floor: as many POST /api/v1/bench/floor; page: {args.pages} groups one at a time,"
        f" paged by {args.channel}"
    )
    results = [run(label, env, args) for label, env in database_runs(args.postgres)]
    report(results)
    verdict(results)


if __name__ == "__main__":
    main()

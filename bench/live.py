"""Benchmark: what 200 open incident pages cost, watching one busy incident, against
`incidentdesk serve` (incidents/live.py: each open page polls every 1.5 s).

Two phases of `--seconds` (30) each, on the same server and data:

1. quiet: a writer adds a note to the busy incident `--writes` (3) times a second through the
   API, and a probe asks for other pages one after another at `--probe-rate` (4) a second,
   alternating the incident page of another incident and the incident list, timing each.
2. watched: the same, plus `--watchers` (200) open pages of the busy incident, each polling as
   the page's script does: `GET /incidents/<ref>/live?v=<version>&after=<newest entry>` every
   1.5 s (each at its own phase), signed in with a session cookie, one kept-alive connection
   each, after opening the page itself (which shows the version it read before its data):
   204 while nothing changed, or the entries written since, or every panel.

Prints the machine's load first (the figures move with whatever else runs), then per phase:
the server's CPU time per second (its processes' user + system time, from /proc), the probe's
p50/p95/p99/max for each page, the polls by answer, and how long a note took to reach the
watching pages (from its POST to the poll that brought it); then the ratios watched ÷ quiet.
Before the phases, in one process with no server and no other client (the figures a busy
machine moves least): the CPU time, queries and size of each kind of poll answer.

    python bench/live.py                        # SQLite (a fresh temp data dir)
    python bench/live.py --postgres URL         # also on PostgreSQL (its tables are used)
    python bench/live.py --watchers 50 --seconds 10   # a quick look
"""

import argparse
import http.client
import re
import sys
import threading
import time
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

POLL_SECONDS = 1.5  # as incidents/live.py
MARK = re.compile(rb"live-bench-(\d+)-")
ENTRY = re.compile(rb'id="entry-(\d+)"')
VERSION = re.compile(rb'data-live-version="(\d*)"')

SETUP = """
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import token_create, user_create
from incidentdesk.core.sources import ActionSource as S
from incidentdesk.incidents.services import incident_declare, timeline_entry_add
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=S.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
_, token = token_create(actor=user, source=S.CLI, user=user, name="bench", scope="write")
busy = incident_declare(actor=user, source=S.CLI, title="Checkout is failing", severity="major",
    criteria=["immediate_response"], summary="Card payments fail for about half of the users.")
for n in range(30):
    timeline_entry_add(actor=user, source=S.API, incident=busy, kind="note",
        body=f"Earlier note {n}: checked the **dashboards**, nothing new on the payment side.")
other = None
for n in range(20):
    other = incident_declare(actor=user, source=S.CLI, title=f"Other incident {n}",
        severity="trivial", criteria=["multiple_users"])
    for m in range(5):
        timeline_entry_add(actor=user, source=S.API, incident=other, kind="note", body=f"note {m}")
sessions = []
for n in range({sessions}):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    sessions.append(session.session_key)
print(busy.reference, other.reference, token, ",".join(sessions))
"""


# The CPU time of each kind of poll answer, in one process through the whole Django stack (no
# HTTP server, no other client): the figure a busy machine moves least.
PROFILE = """
import time
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from incidentdesk.accounts.models import User
from incidentdesk.core.sources import ActionSource as S
from incidentdesk.incidents import live
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.services import timeline_entry_add
user = User.objects.get(username="bench")
busy = Incident.objects.get(reference="{reference}")
client = Client(HTTP_HOST="127.0.0.1", HTTP_HX_REQUEST="true")
client.force_login(user)
url = "/incidents/{reference}/live"
def cpu(label, params, before=None, rounds=40):
    if before:
        before()
    client.get(url, params())
    spent, queries = 0.0, 0
    for _ in range(rounds):
        if before:
            before()
        query = params()
        started = time.process_time()
        with CaptureQueriesContext(connection) as seen:
            response = client.get(url, query)
        spent += time.process_time() - started
        queries = len(seen)
    size, status = len(response.content), response.status_code
    print(label, round(spent / rounds * 1000, 1), queries, size, status)
def newest():
    return str(busy.timeline.order_by("-occurred_at", "-id").values_list("pk", flat=True)[0])
state = dict()
def noted():
    state["v"], state["after"] = live.incident_version(busy.pk), newest()
    timeline_entry_add(actor=user, source=S.API, incident=busy, kind="note", body="one more")
cpu("unchanged", lambda: dict(v=live.incident_version(busy.pk)))
cpu("new-entry", lambda: dict(v=state["v"], after=state["after"]), before=noted)
cpu("every-panel", lambda: dict(v=""), rounds=20)
"""


def profile(env: dict, reference: str) -> None:
    """Print the CPU time, queries and size of each kind of poll answer."""
    out = manage(env, "shell", "-c", PROFILE.replace("{reference}", reference))
    print("  in one process, per poll (the busy incident's page):")
    for line in out.strip().splitlines()[-3:]:
        label, ms, queries, size, status = line.split()
        print(f"    {label}: {ms} ms of CPU, {queries} queries, {size} bytes (HTTP {status})")


class Phase:
    """What one phase saw, filled by its threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.sent: dict[int, float] = {}  # note number → when its POST was sent
        self.probe: dict[str, list[float]] = {"incident page": [], "incident list": []}
        self.polls = {"204": 0, "entries": 0, "whole": 0, "other": 0}
        self.reach: list[float] = []
        self.writes = 0
        self.failed = 0


def connection(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=120)  # a browser waits


def ask(conn, port, phase, method, path, body=None, headers=None):
    """One request on `conn`: (the connection to use next, the response, its body). A request
    that fails is counted in `phase` (unless None) and answers (a new connection, None, b"")."""
    try:
        conn.request(method, path, body, headers or {})
        response = conn.getresponse()
        return conn, response, response.read()
    except OSError:
        conn.close()
        if phase is not None:
            with phase.lock:
                phase.failed += 1
        return connection(port), None, b""


def writer(port, token, reference, rate, stop, phase, counter):
    conn = connection(port)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    moment = time.monotonic()
    while not stop.is_set():
        moment += 1 / rate
        time.sleep(max(0.0, moment - time.monotonic()))
        number = next(counter)
        body = f'{{"kind": "note", "body": "live-bench-{number}- rolled back one more host"}}'
        with phase.lock:
            phase.sent[number] = time.monotonic()
        path = f"/api/v1/incidents/{reference}/timeline"
        conn, response, _ = ask(conn, port, phase, "POST", path, body, headers)
        if response is None:
            continue
        with phase.lock:
            phase.writes += response.status == 201
            phase.failed += response.status != 201


def prober(port, session, other, rate, stop, phase):
    conn = connection(port)
    headers = {"Cookie": f"sessionid={session}"}
    paths = [("incident page", f"/incidents/{other}"), ("incident list", "/incidents")]
    moment, n = time.monotonic(), 0
    while not stop.is_set():
        moment += 1 / rate
        time.sleep(max(0.0, moment - time.monotonic()))
        name, path = paths[n % 2]
        n += 1
        started = time.perf_counter()
        conn, response, _ = ask(conn, port, phase, "GET", path, headers=headers)
        if response is None:
            continue
        elapsed = time.perf_counter() - started
        with phase.lock:
            phase.probe[name].append(elapsed)
            phase.failed += response.status != 200


def watcher(port, session, reference, opens, stop, phase):
    """One open page, opened `opens` seconds from now: a poll every 1.5 s, at its own phase,
    as parts/live.js asks (a poll not answered in time is counted failed, and asked again)."""
    conn = connection(port)
    headers = {"Cookie": f"sessionid={session}", "HX-Request": "true"}
    version, after, seen = "", "", set()
    moment = time.monotonic() + opens
    first = True
    # The page is opened first, as a person does: it shows the version read before its data,
    # and its newest entry; its polls then answer 204 until something changes.
    time.sleep(max(0.0, moment - time.monotonic()))
    page_path, cookie = f"/incidents/{reference}", {"Cookie": headers["Cookie"]}
    conn, opened, page = ask(conn, port, None, "GET", page_path, headers=cookie)
    if opened is not None:
        shown, newest = VERSION.search(page), ENTRY.search(page)
        version = shown.group(1).decode() if shown else ""
        after = newest.group(1).decode() if newest else ""
        seen |= {int(m) for m in MARK.findall(page)}
        first = False
    while not stop.is_set():
        time.sleep(max(0.0, moment - time.monotonic()))
        moment = max(moment + POLL_SECONDS, time.monotonic())
        query = f"v={version}" + (f"&after={after}" if after else "")
        poll = f"/incidents/{reference}/live?{query}"
        conn, response, body = ask(conn, port, phase, "GET", poll, headers=headers)
        if response is None:
            continue
        now = time.monotonic()
        if response.status == 204:
            kind = "204"
        elif response.status == 200:
            kind = "entries" if body.startswith(b'<ol class="timeline"') else "whole"
            version = response.getheader("X-Live-Version", "")
            newest = ENTRY.search(body)
            if newest:
                after = newest.group(1).decode()
        else:
            kind = "other"
        marks = {int(m) for m in MARK.findall(body)} - seen
        seen |= marks
        with phase.lock:
            phase.polls[kind] += 1
            if not first:  # a first answer brings every note written before the page opened
                phase.reach += [now - phase.sent[m] for m in marks if m in phase.sent]
        first = False


def run_phase(port, setup, watchers, args, counter) -> tuple[Phase, float, float]:
    reference, other, token, sessions = setup
    phase, stop = Phase(), threading.Event()
    threads = [
        threading.Thread(
            target=writer, args=(port, token, reference, args.writes, stop, phase, counter)
        ),
        threading.Thread(
            target=prober, args=(port, sessions[0], other, args.probe_rate, stop, phase)
        ),
    ]
    threads += [
        threading.Thread(
            target=watcher,
            args=(
                port,
                sessions[1 + n],
                reference,
                n * args.opening / max(watchers, 1),
                stop,
                phase,
            ),
        )
        for n in range(watchers)
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    # The pages open one after another over `opening` seconds (each loads the incident page
    # once), then every page has polled at least once.
    time.sleep((args.opening + args.warmup) if watchers else args.warmup)
    with phase.lock:
        phase.probe = {name: [] for name in phase.probe}
        phase.polls = dict.fromkeys(phase.polls, 0)
        phase.writes = phase.failed = 0
        phase.reach = []
    cpu, started = server_cpu_seconds(args.server_pid), time.monotonic()
    time.sleep(args.seconds)
    cpu, elapsed = server_cpu_seconds(args.server_pid) - cpu, time.monotonic() - started
    stop.set()
    for thread in threads:
        thread.join(timeout=30)
    return phase, cpu, elapsed


def report(name: str, phase: Phase, cpu: float, elapsed: float) -> dict:
    requests = sum(phase.polls.values()) + phase.writes + sum(map(len, phase.probe.values()))
    figures = {
        "cpu_per_s": round(cpu / elapsed, 2),
        "cpu_ms_per_request": round(cpu * 1000 / max(requests, 1), 1),
        "writes_per_s": round(phase.writes / elapsed, 1),
        "failed": phase.failed,
        "polls_per_s": round(sum(phase.polls.values()) / elapsed, 1),
        "polls": phase.polls,
        **{page: quantiles(times) for page, times in phase.probe.items()},
        "note_to_page": quantiles(phase.reach),
    }
    print(
        f"  {name}: server CPU {figures['cpu_per_s']} s per s, {figures['writes_per_s']} notes/s,"
    )
    print(f"    {figures['polls_per_s']} polls/s {phase.polls}, failed requests {phase.failed},")
    print(f"    {figures['cpu_ms_per_request']} ms of server CPU a request")
    for page in phase.probe:
        print(f"    {page}: {figures[page]} ({len(phase.probe[page])} requests)")
    if phase.reach:
        print(
            f"    a note reached the pages in {figures['note_to_page']} ({len(phase.reach)} seen)"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_postgres_option(parser)
    parser.add_argument("--watchers", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--opening", type=float, default=40.0, help="seconds over which the pages open"
    )
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds before measuring, once open"
    )
    parser.add_argument("--writes", type=float, default=3.0, help="notes a second")
    parser.add_argument("--probe-rate", type=float, default=4.0, help="other requests a second")
    parser.add_argument(
        "--profile-only", action="store_true", help="only the in-process CPU of each answer"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    print(machine_load())
    for database, env in database_runs(args.postgres):
        manage(env, "migrate", "-v0")
        out = manage(env, "shell", "-c", SETUP.replace("{sessions}", str(args.watchers + 1)))
        reference, other, token, sessions = out.strip().splitlines()[-1].split()
        setup = (reference, other, token, sessions.split(","))
        counter = iter(range(10**9))
        print(
            f"{database}: {args.workers} web processes × {args.threads} threads, busy {reference}"
        )
        profile(env, reference)
        if args.profile_only:
            continue
        with served(env, workers=args.workers, threads=args.threads, floor=False) as (server, port):
            args.server_pid = server.pid
            quiet = report("quiet", *run_phase(port, setup, 0, args, counter))
            watched = report(
                f"{args.watchers} watching", *run_phase(port, setup, args.watchers, args, counter)
            )
        for key in ("incident page", "incident list"):
            ratio = watched[key]["p99_ms"] / quiet[key]["p99_ms"]
            print(f"  {key} p99 watched ÷ quiet: {ratio:.2f}")
        cpu = watched["cpu_per_s"] / max(quiet["cpu_per_s"], 0.01)
        print(f"  server CPU watched ÷ quiet: {cpu:.2f}")


if __name__ == "__main__":
    main()

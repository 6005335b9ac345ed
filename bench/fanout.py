"""Benchmark: fan-out to 10,000 email subscribers (a local SMTP sink) and to 10,000 webhook
subscribers (a local HTTP receiver), delivered by a real worker (`incidentdesk worker`) with
its own data dir. Prints the seconds from publishing until the last message arrived.

    python bench/fanout.py                          # 10,000 of each, 4 worker threads
    python bench/fanout.py --count 2000 --threads 2
    python bench/fanout.py --only email

Target (issue 3): under 60 s each on a 2-core machine.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aiosmtpd.controller import Controller

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import ROOT, free_port, manage  # noqa: E402

SETUP = """
from incidentdesk.accounts.services import user_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage.models import Subscriber
from incidentdesk.statuspage.subscribers import subscriber_import
from django.utils import timezone
admin = user_create(actor=None, source=ActionSource.CLI, username="bench",
    email="bench@example.com", password="bench-password-123", role="admin")
if "{kind}" == "email":
    subscriber_import(actor=admin, source=ActionSource.CLI,
        rows=[{{"email": f"user{{n}}@example.com"}} for n in range({count})])
else:
    # Setup only: {count} webhook rows at once (each one subscribing would be slow to set up).
    now = timezone.now()
    Subscriber.objects.bulk_create([Subscriber(kind="webhook", confirmed_at=now,
        url=f"{url}/hook/{{n}}") for n in range({count})], batch_size=1000)
print("ready")
"""

PUBLISH = """
import time
from incidentdesk.accounts.models import User
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_declare
from incidentdesk.statuspage.services import publication_create
bench = User.objects.get(username="bench")
incident = incident_declare(actor=bench, source=ActionSource.CLI, title="Bench",
    severity="major", criteria=["immediate_response"])
started = time.time()
publication_create(actor=bench, source=ActionSource.CLI, incident=incident,
    name="Payments are failing", message="We are looking into failed card payments.")
print(started)
"""


class Counter:
    def __init__(self):
        self.count = 0
        self.last = 0.0
        self.lock = threading.Lock()

    def hit(self):
        with self.lock:
            self.count += 1
            self.last = time.time()


class SmtpSink:
    def __init__(self, counter: Counter):
        self.counter = counter

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        self.counter.hit()
        return "250 OK"


def start_receiver(counter: Counter) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self):  # noqa: N802 - http.server's name
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()
            counter.hit()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def run_one(kind: str, count: int, threads: int) -> float:
    counter = Counter()
    data = tempfile.mkdtemp(prefix=f"incidentdesk-bench-{kind}-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("INCIDENTDESK_")}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    env.update(
        INCIDENTDESK_DATA_DIR=data,
        INCIDENTDESK_TASKS_IMMEDIATE="0",
        INCIDENTDESK_WEBHOOKS_ALLOW_PRIVATE="1",
        INCIDENTDESK_WEBHOOKS_ALLOW_HTTP="1",
        INCIDENTDESK_LOG_LEVEL="WARNING",
    )
    controller = receiver = None
    if kind == "email":
        controller = Controller(SmtpSink(counter), hostname="127.0.0.1", port=free_port())
        controller.start()
        env.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(controller.port))
        url = ""
    else:
        receiver = start_receiver(counter)
        url = f"http://127.0.0.1:{receiver.server_address[1]}"
    manage(env, "migrate", "-v0")
    manage(env, "shell", "-c", SETUP.format(kind=kind, count=count, url=url))
    worker = subprocess.Popen(
        [sys.executable, "-m", "incidentdesk", "worker", "--workers", str(threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        time.sleep(3)  # let the worker start (and its first sweep run) before timing
        started = float(manage(env, "shell", "-c", PUBLISH).strip().splitlines()[-1])
        deadline = time.time() + 600
        while counter.count < count and time.time() < deadline:
            time.sleep(0.05)
        if counter.count < count:
            sys.exit(f"{kind}: only {counter.count} of {count} arrived within 10 minutes")
        return counter.last - started
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(timeout=60)
        if controller:
            controller.stop()
        if receiver:
            receiver.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--threads", type=int, default=4, help="worker threads (default 4)")
    parser.add_argument("--only", choices=["email", "webhook"])
    args = parser.parse_args()
    for kind in ("email", "webhook"):
        if args.only and kind != args.only:
            continue
        seconds = run_one(kind, args.count, args.threads)
        rate = args.count / seconds if seconds else float("inf")
        print(
            f"{kind:8} {args.count:>6} subscribers, {args.threads} worker threads: "
            f"{seconds:6.1f} s from publish to last delivery ({rate:,.0f}/s)",
            flush=True,
        )


if __name__ == "__main__":
    main()

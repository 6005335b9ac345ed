"""Benchmark: the public status page under 64 concurrent connections, from `incidentdesk serve`
and from a static export served by nginx, in the same run. Prints requests/s and p99 of each,
and the app/nginx ratio.

    python bench/statuspage_load.py                       # SQLite (a fresh temp data dir)
    python bench/statuspage_load.py --postgres URL        # also on PostgreSQL
    python bench/statuspage_load.py --duration 10 --connections 64

Needs wrk (/usr/bin/wrk) and nginx (/usr/sbin/nginx), both from Debian.
Target (issue 3): the app serves at least half of nginx's rate.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import add_postgres_option, database_runs, free_port, wait_ready  # noqa: E402

WRK = shutil.which("wrk") or "/usr/bin/wrk"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PATHS = ("/api/v2/summary.json", "/")

# Components in a group, two open incidents, one resolved, maintenance: a realistic page.
SETUP = """
from datetime import timedelta
from django.utils import timezone
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create
from incidentdesk.core.sources import ActionSource as S
from incidentdesk.incidents.services import incident_declare
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.statuspage import services
from incidentdesk.statuspage.public_site import refresh_or_raise
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=S.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
from incidentdesk.incidents.models import Component
for name, group in [("Platform", None), ("API", "Platform"), ("Website", "Platform"),
                    ("Webhooks", "Platform"), ("Email", None), ("Search", None), ("Billing", None)]:
    if not Component.objects.filter(name=name).exists():
        component_save(actor=user, source=S.CLI, name=name, group=group)
for n, (name, comp) in enumerate([("Elevated API errors", "API"),
                                  ("Slow search", "Search"), ("Email delays", "Email")]):
    inc = incident_declare(actor=user, source=S.CLI, title=f"internal {n}", severity="major",
                           criteria=["immediate_response"])
    pi = services.publication_create(actor=user, source=S.CLI, incident=inc, name=name,
        message="We are investigating.", components={comp: "partial_outage"})
    services.publication_update(actor=user, source=S.CLI, public_incident=pi,
                                message="A fix is being deployed.", status="monitoring")
    if n == 2:
        services.publication_resolve(actor=user, source=S.CLI, public_incident=pi,
                                     message="Resolved.")
now = timezone.now()
services.maintenance_schedule(actor=user, source=S.CLI, name="Database upgrade",
    message="Planned upgrade.", scheduled_for=now + timedelta(days=1),
    scheduled_until=now + timedelta(days=1, hours=2), components=["Billing"])
refresh_or_raise()
"""

EXPORT = """
from incidentdesk.statuspage.public_site import export_site
print(export_site({directory!r}))
"""

NGINX_CONF = """
daemon off;
master_process on;
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 100000;
    client_body_temp_path {root}/tmp;
    proxy_temp_path {root}/tmp;
    fastcgi_temp_path {root}/tmp;
    uwsgi_temp_path {root}/tmp;
    scgi_temp_path {root}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {site};
        location / {{
            try_files $uri $uri/index.html =404;
            add_header Cache-Control "public, max-age=5";
        }}
    }}
}}
"""


def wrk(url: str, duration: int, connections: int) -> dict:
    out = subprocess.run(
        [WRK, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {
        "rps": rate,
        "p99_ms": round(float(p99.group(1)) * scale, 2),
        "non_2xx": int(errors.group(1)) if errors else 0,
    }


def manage(env: dict, code: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "incidentdesk", "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def start_nginx(site: Path, workers: int) -> tuple[subprocess.Popen, int, Path]:
    root = Path(tempfile.mkdtemp(prefix="idk-nginx-"))
    (root / "tmp").mkdir()
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(root=root, port=port, site=site, workers=workers))
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(root)], start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            import http.client

            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/api/v2/status.json")
            if conn.getresponse().status == 200:
                return process, port, root
        except OSError:
            time.sleep(0.05)
    os.killpg(process.pid, signal.SIGQUIT)
    raise SystemExit(f"nginx did not start; see {root}/error.log")


def run(label: str, env: dict, args) -> list[dict]:
    subprocess.run([sys.executable, "-m", "incidentdesk", "migrate", "-v0"], env=env, check=True)
    manage(env, SETUP)
    site = Path(tempfile.mkdtemp(prefix="idk-site-"))
    site.chmod(0o755)  # nginx's workers run as nobody
    manage(env, EXPORT.format(directory=str(site)))
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "incidentdesk", "serve", "--port", str(port), "--no-worker",
         "--workers", str(args.workers), "--threads", str(args.threads)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    nginx = None
    try:
        wait_ready(port, time.monotonic() + 60)
        nginx, nginx_port, _ = start_nginx(site, args.workers)
        rows = []
        for path in PATHS:
            wrk(f"http://127.0.0.1:{port}{path}", 2, args.connections)  # warm the caches
            app = wrk(f"http://127.0.0.1:{port}{path}", args.duration, args.connections)
            static = wrk(f"http://127.0.0.1:{nginx_port}{path}", args.duration, args.connections)
            rows.append({"database": label, "path": path, "app": app, "nginx": static})
        return rows
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        if nginx is not None:
            os.killpg(nginx.pid, signal.SIGQUIT)
            nginx.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="app and nginx worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per app worker")
    add_postgres_option(parser)
    args = parser.parse_args()
    runs = database_runs(args.postgres)
    print(
        f"wrk -t2 -c{args.connections} -d{args.duration}s; app: incidentdesk serve "
        f"--workers {args.workers} --threads {args.threads}; nginx: {args.workers} workers"
    )
    rows = [row for label, env in runs for row in run(label, env, args)]
    print(f"{'database':<12}{'path':<24}{'app req/s':>11}{'app p99':>10}"
          f"{'nginx req/s':>13}{'nginx p99':>11}{'app/nginx':>11}")  # fmt: skip
    worst = None
    for r in rows:
        ratio = r["app"]["rps"] / r["nginx"]["rps"]
        worst = ratio if worst is None else min(worst, ratio)
        print(
            f"{r['database']:<12}{r['path']:<24}{r['app']['rps']:>11.0f}"
            f"{r['app']['p99_ms']:>8.1f}ms{r['nginx']['rps']:>13.0f}{r['nginx']['p99_ms']:>9.1f}ms"
            f"{ratio:>11.2f}"
        )
        for side in ("app", "nginx"):
            if r[side]["non_2xx"]:
                print(f"  {side}: {r[side]['non_2xx']} responses were not 2xx/3xx")
    print(f"target: app at least half of nginx's rate → {'met' if worst >= 0.5 else 'MISSED'}"
          f" (worst ratio {worst:.2f})")  # fmt: skip


if __name__ == "__main__":
    main()

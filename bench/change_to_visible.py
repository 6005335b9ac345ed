"""Benchmark: change-to-visible latency of the public status page against `incidentdesk serve`.

Posts N public updates through the API (POST /api/v1/incidents/{ref}/publication/updates),
each with a unique marker, and polls /api/v2/summary.json and / until the marker appears.
Prints p50 and p99 of the time from sending the update to seeing it, per document.

    python bench/change_to_visible.py                     # SQLite (a fresh temp data dir)
    python bench/change_to_visible.py --postgres URL      # also on PostgreSQL
    python bench/change_to_visible.py --updates 50

Target (issue 3): visible on the page and in summary.json within 1 second.
"""

import argparse
import http.client
import json
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness import add_postgres_option, database_runs, manage, served  # noqa: E402

DOCUMENTS = ("/api/v2/summary.json", "/")
GIVE_UP_SECONDS = 10.0

SETUP = """
from incidentdesk.accounts.models import User
from incidentdesk.accounts.services import user_create, token_create
from incidentdesk.core.sources import ActionSource as S
from incidentdesk.incidents.services import incident_declare
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.statuspage import services
from incidentdesk.statuspage.public_site import refresh_or_raise
user = User.objects.filter(username="bench").first() or user_create(
    actor=None, source=S.CLI, username="bench", email="bench@example.com",
    password="bench-password-123", role="admin")
from incidentdesk.incidents.models import Component
if not Component.objects.filter(name="API").exists():
    component_save(actor=user, source=S.CLI, name="API")
incident = incident_declare(actor=user, source=S.CLI, title="internal", severity="major",
                            criteria=["immediate_response"])
services.publication_create(actor=user, source=S.CLI, incident=incident,
    name="Elevated API errors", message="Investigating.", components={"API": "partial_outage"})
refresh_or_raise()
_, plain = token_create(actor=user, source=S.CLI, user=user, name="bench", scope="write")
print(incident.reference, plain)
"""


def measure(port: int, reference: str, token: str, updates: int) -> dict[str, list[float]]:
    writer = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    readers = {
        path: http.client.HTTPConnection("127.0.0.1", port, timeout=30) for path in DOCUMENTS
    }
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    latencies: dict[str, list[float]] = {path: [] for path in DOCUMENTS}
    for n in range(updates):
        # Changes come at random moments, not in step with the servers' half-second checks.
        time.sleep(random.uniform(0, 1))
        marker = f"update-{n}-{uuid.uuid4().hex[:8]}"
        sent = time.perf_counter()
        writer.request(
            "POST",
            f"/api/v1/incidents/{reference}/publication/updates",
            json.dumps({"message": f"Progress {marker}", "notify": False}),
            headers,
        )
        response = writer.getresponse()
        response.read()
        if response.status != 201:
            raise SystemExit(f"posting an update failed: {response.status}")
        pending = set(DOCUMENTS)
        while pending and time.perf_counter() - sent < GIVE_UP_SECONDS:
            for path in list(pending):
                readers[path].request("GET", path)
                if marker.encode() in readers[path].getresponse().read():
                    latencies[path].append(time.perf_counter() - sent)
                    pending.discard(path)
        for path in pending:
            latencies[path].append(GIVE_UP_SECONDS)
    return latencies


def run(label: str, env: dict, args) -> dict:
    manage(env, "migrate", "-v0")
    reference, token = manage(env, "shell", "-c", SETUP).strip().splitlines()[-1].split()
    with served(env, workers=args.workers, worker=False, floor=False) as (_, port):
        return {"database": label, **measure(port, reference, token, args.updates)}


def quantile(values: list[float], q: int) -> float:
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[q - 1]


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--updates", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2)
    add_postgres_option(parser)
    args = parser.parse_args()
    runs = database_runs(args.postgres)
    print(f"{args.updates} public updates through the API; time from sending to visible")
    print(f"{'database':<12}{'document':<24}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    worst = 0.0
    for label, env in runs:
        result = run(label, env, args)
        for path in DOCUMENTS:
            values = result[path]
            p99 = quantile(values, 99)
            worst = max(worst, p99)
            print(
                f"{label:<12}{path:<24}{quantile(values, 50) * 1000:>10.0f}"
                f"{p99 * 1000:>10.0f}{max(values) * 1000:>10.0f}"
            )
    print(
        f"target: visible within 1 s → {'met' if worst < 1 else 'MISSED'} (worst p99 {worst:.2f} s)"
    )


if __name__ == "__main__":
    main()

"""Similar incidents: quality on the labelled set and the cost of the declare page's preview.

    python bench/similar.py                 # SQLite in a fresh data dir
    python bench/similar.py --postgres URL  # PostgreSQL (a fresh database is created and dropped)
    python bench/similar.py --history 2000  # the preview's cost over a larger history

Quality: tests/search/similar_cases.py (44 new incidents, each with its true earlier match
among 74 resolved incidents sharing words with it). For each mode it prints recall@1, recall@3
and the mean reciprocal rank, lexical and, when the optional wordllama package is installed,
with the embedding too (hybrid):

- title: the title alone, as it is typed on the declare page;
- declare: what the declare form holds (title, summary, severity, components);
- incident: the declared incident on its page (with its alert's labels).

Cost: GET /incidents/similar through the whole Django stack in this process (session,
middleware, view, template), after `--history` more incidents were added (each resolved, with
a component, a postmortem and an alert group): wall and CPU milliseconds (p50, p95, max) and
SQL queries per request. The candidate set is bounded (similar.CANDIDATES +
COMPONENT_CANDIDATES), so the cost stops growing with the history.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

from harness import add_postgres_option, machine_load, quantiles

ROOT = Path(__file__).resolve().parent.parent
TITLES = (
    "Checkout failing for card payments",
    "Database connections exhausted",
    "Users cannot sign in",
    "Search very slow",
    "Emails delayed",
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add_postgres_option(parser)  # here: instead of SQLite, on a database it creates and drops
    parser.add_argument("--history", type=int, default=1000, help="incidents added for the cost")
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()

    for name in ("DATABASE_URL", "REDIS_URL"):
        os.environ.pop(name, None)
    if args.postgres:
        os.environ["DATABASE_URL"] = args.postgres
    os.environ["INCIDENTDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="idk-similar-")
    os.environ["INCIDENTDESK_LOG_LEVEL"] = "WARNING"
    os.environ["INCIDENTDESK_TASKS_IMMEDIATE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "incidentdesk.config.settings")
    sys.path.insert(0, str(ROOT))

    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import setup_test_environment

    setup_test_environment()
    from django.db import connection

    # A throw-away database, as the tests make one (on PostgreSQL: test_<name>, dropped after).
    created = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        run(args, settings)
    finally:
        connection.creation.destroy_test_db(created, verbosity=0)


def run(args, settings) -> None:
    from incidentdesk.accounts.models import Role
    from incidentdesk.search import similar_embed
    from tests.factories import UserFactory
    from tests.search.similar_cases import figures, load_history, rank_of_true_match

    viewer = UserFactory(role=Role.RESPONDER, username="bench")
    history = load_history()
    print(f"database: {settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}")
    print(f"machine: {machine_load()}")
    print(f"labelled set: {len(history)} cases\n")
    print(f"{'ranking':<8} {'mode':<9} {'recall@1':>8} {'recall@3':>8} {'MRR':>6}")
    rankings = [("lexical", False)]
    if similar_embed.installed():
        rankings.append(("hybrid", True))
    for name, embeddings in rankings:
        settings.SIMILAR_EMBEDDINGS = embeddings
        for mode in ("title", "declare", "incident"):
            f = figures(rank_of_true_match(viewer, history, mode=mode))
            print(
                f"{name:<8} {mode:<9} {f['recall@1']:>8.3f} {f['recall@3']:>8.3f} {f['mrr']:>6.3f}"
            )
    if not similar_embed.installed():
        print("hybrid: not measured (pip install '.[similar]' for the embedding)")

    grow(args.history)
    for name, embeddings in rankings:
        settings.SIMILAR_EMBEDDINGS = embeddings
        cost(viewer, args.requests, name)


def grow(count: int) -> None:
    """Add `count` resolved incidents with a component, a postmortem and an alert group."""
    from datetime import timedelta

    from django.utils import timezone

    from incidentdesk.alerts.models import AlertGroup, Integration
    from incidentdesk.incidents.models import Component, IncidentStatus
    from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate
    from tests.factories import IncidentFactory
    from tests.search.similar_cases import CASES, DISTRACTORS

    specs = [p for p, _ in CASES] + DISTRACTORS
    template = PostmortemTemplate.objects.get(key="blameless")
    integration = Integration.objects.get(key_id="cases0001")
    components = list(Component.objects.all())
    started = time.perf_counter()
    for n in range(count):
        spec = specs[n % len(specs)]
        moment = timezone.now() - timedelta(days=3 * 365) + timedelta(hours=n)
        incident = IncidentFactory(
            title=f"{spec['title']} ({n})",
            summary=spec["summary"],
            status=IncidentStatus.RESOLVED,
            declared_at=moment,
        )
        incident.components.set([components[n % len(components)]])
        Postmortem.objects.create(
            incident=incident,
            template=template,
            sections={"cause": spec["cause"] or spec["summary"]},
            taxonomy_tree=spec["terms"],
        )
        AlertGroup.objects.create(
            integration=integration,
            group_key=f"grow:{incident.pk}",
            group_digest=f"g{incident.pk:063d}",
            status="resolved",
            labels=spec["labels"] or {"alertname": "Generic"},
            first_seen_at=moment,
            last_seen_at=moment,
            incident=incident,
        )
    print(f"\nadded {count} incidents in {time.perf_counter() - started:.1f} s")


def cost(viewer, requests: int, name: str) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(viewer)
    walls, cpus, queries = [], [], []
    for n in range(requests + 5):
        ask = {"title": TITLES[n % len(TITLES)], "severity": "major", "components": "Payments"}
        with CaptureQueriesContext(connection) as captured:
            wall, cpu = time.perf_counter(), time.process_time()
            response = client.get("/incidents/similar", ask)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert response.status_code == 200, response.status_code
        if n >= 5:  # the first few warm the caches (templates, the model)
            walls.append(wall)
            cpus.append(cpu)
            queries.append(len(captured.captured_queries))
    wall_ms, cpu_ms = quantiles(walls), quantiles(cpus)
    print(
        f"GET /incidents/similar ({name}, {requests} requests): "
        f"wall p50 {wall_ms['p50_ms']} ms, p95 {wall_ms['p95_ms']}, max {wall_ms['max_ms']}; "
        f"CPU p50 {cpu_ms['p50_ms']} ms, p95 {cpu_ms['p95_ms']}; queries {max(queries)}"
    )


if __name__ == "__main__":
    main()

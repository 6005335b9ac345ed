"""Many writers at once: no "database is locked", no shared or skipped reference numbers.

Each thread has its own database connection; the test runs outside a wrapping transaction so
the threads really contend (SQLite's write lock, PostgreSQL's row locks).
"""

import importlib
import threading

import pytest
from django.apps import apps as django_apps
from django.db import connections
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, TimelineEntry
from incidentdesk.incidents.services import command_run, incident_declare
from tests.factories import UserFactory

THREADS = 16
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def default_severities():
    """An earlier transactional test's flush removes the levels the data migration made;
    put them back (serialized_rollback clashes with content types recreated by that flush)."""
    migration = importlib.import_module("incidentdesk.incidents.migrations.0002_default_severities")
    migration.create(django_apps, None)


def run_together(work, count=THREADS):
    """Run `work(i)` in `count` threads released at once; return the errors they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(i):
        try:
            barrier.wait(timeout=30)
            work(i)
        except BaseException as exc:  # noqa: BLE001 - every failure is a finding here
            with lock:
                errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return errors


def test_concurrent_declarations_and_commands_get_unique_gapless_references():
    people = [UserFactory(username=f"r{i}", role=Role.RESPONDER) for i in range(THREADS)]

    def work(i):
        actor = people[i]
        incident = incident_declare(
            actor=actor,
            source=ActionSource.API,
            title=f"Outage {i}",
            severity="major",
            criteria=["multiple_users"],
        )
        for text in ("note looking", "sev critical", f"lead {actor.username}", "status identified"):
            command_run(actor=actor, source=ActionSource.CHAT, incident=incident, text=text)

    errors = run_together(work)
    assert errors == []
    year = timezone.now().year
    numbers = sorted(Incident.objects.filter(year=year).values_list("number", flat=True))
    assert numbers == list(range(1, THREADS + 1))
    references = set(Incident.objects.values_list("reference", flat=True))
    assert references == {f"INC-{year}-{n:04d}" for n in range(1, THREADS + 1)}
    assert set(Incident.objects.values_list("status", flat=True)) == {"identified"}
    assert TimelineEntry.objects.filter(kind="note").count() == THREADS


def test_concurrent_commands_on_one_incident_all_land():
    people = [UserFactory(username=f"r{i}", role=Role.RESPONDER) for i in range(THREADS)]
    incident = incident_declare(
        actor=people[0],
        source=ActionSource.WEB,
        title="Shared",
        severity="major",
        criteria=["security"],
    )

    def work(i):
        actor = people[i]
        command_run(actor=actor, source=ActionSource.CHAT, incident=incident, text=f"note from {i}")
        command_run(
            actor=actor,
            source=ActionSource.CHAT,
            incident=incident,
            text=f"assign {actor.username}",
        )
        command_run(
            actor=actor, source=ActionSource.CHAT, incident=incident, text=f"summary by {i}"
        )

    errors = run_together(work)
    assert errors == []
    notes = TimelineEntry.objects.filter(incident=incident, kind="note")
    assert {e.body for e in notes} == {f"from {i}" for i in range(THREADS)}
    assert incident.role_history.filter(role="assignee", ended_at__isnull=True).count() == THREADS
    incident.refresh_from_db()
    assert incident.summary.startswith("by ")

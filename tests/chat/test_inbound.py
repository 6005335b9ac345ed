"""Inbound events are stored once under (platform, de-duplication key): a repeated delivery
finds the first one's record and is not acted on again."""

import threading
import time
from datetime import UTC, datetime

import pytest
from django.db import connection, connections, transaction

from incidentdesk.chat.models import InboundRecord
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.chat.services import inbound_done, inbound_record
from incidentdesk.core.errors import ValidationError
from tests.together import together

AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def event(key: str = "Ev01", **changes) -> InboundEvent:
    fields = {
        "platform": "slack",
        "dedup_key": key,
        "kind": "message",
        "conversation": "C123",
        "actor": "U42",
        "occurred_at": AT,
        "text": "the database is back",
    }
    return InboundEvent(**(fields | changes))


@pytest.mark.django_db
def test_the_same_key_twice_is_stored_once_and_only_the_first_is_new():
    first, created = inbound_record(event())
    again, created_again = inbound_record(event(text="a retry says the same"))
    assert created and not created_again
    assert again.pk == first.pk
    assert InboundRecord.objects.count() == 1
    assert InboundRecord.objects.get().details == {"text": "the database is back"}


@pytest.mark.django_db
def test_the_same_key_on_another_platform_is_another_event():
    inbound_record(event())
    _, created = inbound_record(event(platform="matrix"))
    assert created
    assert InboundRecord.objects.count() == 2


@pytest.mark.django_db
def test_a_record_gives_back_the_event_it_stored():
    original = event(
        kind="button",
        message="1700000000.0001",
        values={"action": "take_lead"},
        reply_to="https://x",
    )
    record, _ = inbound_record(original)
    assert InboundRecord.objects.get(pk=record.pk).event == original


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"dedup_key": ""}, "dedup_key"),
        ({"platform": ""}, "platform"),
        ({"conversation": "C" * 256}, "conversation"),
        ({"occurred_at": datetime(2026, 11, 30, 9, 15)}, "occurred_at"),
    ],
)
def test_an_event_that_cannot_be_stored_is_refused_naming_the_field(changes, field):
    with pytest.raises(ValidationError) as refused:
        inbound_record(event(**changes))
    assert refused.value.field == field
    assert not InboundRecord.objects.exists()


@pytest.mark.django_db
def test_only_the_first_worker_to_finish_an_event_marks_it():
    record, _ = inbound_record(event())
    assert inbound_done(record=record, error="not_in_channel")
    assert not inbound_done(record=InboundRecord.objects.get(pk=record.pk))
    record.refresh_from_db()
    assert record.processed_at is not None and record.error == "not_in_channel"


@pytest.mark.django_db(transaction=True)
def test_deliveries_arriving_at_once_are_stored_once_and_new_once():
    answers = together(lambda: inbound_record(event()), 8)
    assert all(isinstance(answer, tuple) for answer in answers), answers
    assert sorted(created for _, created in answers) == [False] * 7 + [True]
    assert len({record.pk for record, _ in answers}) == 1
    assert InboundRecord.objects.count() == 1


def _wait_until_a_query_waits_for_a_lock(seconds: float = 30) -> bool:
    """Whether, within `seconds`, some query of this database waits for a lock another
    transaction holds (pg_locks is read afresh by every query, even inside a transaction)."""
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
            if cursor.fetchone()[0]:
                return True
            time.sleep(0.001)
    return False


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="waits on PostgreSQL's row locks")
def test_a_duplicate_that_loses_the_race_finds_the_winner_and_keeps_its_transaction():
    """The second delivery reads no row yet (the first is not committed), inserts, waits on
    the unique index until the first commits, and then answers with the first's record."""
    answers: dict = {}

    def second():
        try:
            with transaction.atomic():
                answers["record"], answers["created"] = inbound_record(event())
                answers["after"] = InboundRecord.objects.count()  # the transaction still works
        finally:
            connections.close_all()

    thread = threading.Thread(target=second)
    with transaction.atomic():
        first, created = inbound_record(event())
        thread.start()
        waited = _wait_until_a_query_waits_for_a_lock()
    thread.join(timeout=30)
    assert created and waited and not thread.is_alive()
    assert answers == {"record": first, "created": False, "after": 1}

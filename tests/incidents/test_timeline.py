"""Timeline entries: written by hand, back-dated, edited with history, pinned."""

from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry, TimelineRevision
from incidentdesk.incidents.services import (
    incident_set_status,
    timeline_entry_add,
    timeline_entry_edit,
    timeline_entry_pin,
)

WEB = ActionSource.WEB


@pytest.fixture
def incident(declare):
    return declare()


def add(incident, actor, **kwargs):
    kwargs.setdefault("kind", "note")
    kwargs.setdefault("body", "Restarted the primary")
    kwargs.setdefault("source", WEB)
    return timeline_entry_add(actor=actor, incident=incident, **kwargs)


def test_an_entry_can_be_back_dated_to_reconstruct_the_timeline(incident, responder):
    when = timezone.now() - timedelta(days=2)
    entry = add(incident, responder, kind="event", occurred_at=when)
    assert entry.occurred_at == when
    assert entry.author == responder and entry.source == "web"
    first = TimelineEntry.objects.filter(incident=incident).first()
    assert first == entry  # ordered by when it happened, not when it was written


def test_an_entry_in_the_future_is_refused(incident, responder):
    with pytest.raises(ValidationError) as caught:
        add(incident, responder, occurred_at=timezone.now() + timedelta(hours=1))
    assert caught.value.field == "occurred_at"
    assert TimelineEntry.objects.filter(incident=incident).count() == 1  # just "declared"


def test_a_naive_time_is_refused(incident, responder):
    with pytest.raises(ValidationError) as caught:
        add(incident, responder, occurred_at=datetime(2026, 1, 1, 10, 0))
    assert caught.value.field == "occurred_at"


@pytest.mark.parametrize("kind", ["event", "discussion", "decision", "action", "result", "note"])
def test_people_may_write_authored_kinds(incident, responder, kind):
    assert add(incident, responder, kind=kind).kind == kind


@pytest.mark.parametrize("kind", ["status_change", "role_change", "field_change", "public_update"])
def test_system_kinds_cannot_be_written_by_hand(incident, responder, kind):
    with pytest.raises(ValidationError) as caught:
        add(incident, responder, kind=kind)
    assert caught.value.field == "kind"
    assert "note" in caught.value.message


def test_chat_messages_come_only_from_chat(incident, responder):
    assert add(incident, responder, kind="chat_message", source=ActionSource.CHAT).kind == (
        "chat_message"
    )
    with pytest.raises(ValidationError):
        add(incident, responder, kind="chat_message")


def test_an_empty_body_is_refused(incident, responder):
    with pytest.raises(ValidationError, match="is required") as caught:
        add(incident, responder, body="   ")
    assert caught.value.field == "body"


def test_a_body_over_the_limit_is_refused(incident, responder):
    with pytest.raises(ValidationError) as caught:
        add(incident, responder, body="x" * 20_001)
    assert caught.value.field == "body"


def test_an_unknown_visibility_is_refused(incident, responder):
    with pytest.raises(ValidationError) as caught:
        add(incident, responder, visibility="everyone")
    assert caught.value.field == "visibility"


def test_a_public_entry_is_marked_public(incident, responder):
    assert add(incident, responder, visibility="public").visibility == "public"


def test_editing_keeps_the_earlier_text_as_a_revision(incident, responder, manager):
    entry = add(incident, responder, body="Restarted the primary")
    timeline_entry_edit(actor=manager, source=WEB, entry=entry, body="Restarted the replica")
    entry.refresh_from_db()
    assert entry.body == "Restarted the replica"
    assert entry.edited_at is not None
    revision = TimelineRevision.objects.get(entry=entry)
    assert (revision.body, revision.replaced_by) == ("Restarted the primary", manager)


def test_each_edit_keeps_one_more_revision(incident, responder):
    entry = add(incident, responder, body="one")
    timeline_entry_edit(actor=responder, source=WEB, entry=entry, body="two")
    timeline_entry_edit(actor=responder, source=WEB, entry=entry, body="three")
    assert [r.body for r in entry.revisions.all()] == ["one", "two"]


def test_an_edit_that_changes_nothing_keeps_no_revision(incident, responder):
    entry = add(incident, responder, body="same")
    timeline_entry_edit(actor=responder, source=WEB, entry=entry, body="same")
    assert not TimelineRevision.objects.exists()
    assert entry.edited_at is None


def test_system_entries_cannot_be_edited(incident, responder):
    incident_set_status(actor=responder, source=WEB, incident=incident, status="identified")
    change = TimelineEntry.objects.get(incident=incident, kind="status_change")
    with pytest.raises(InvalidTransition, match="recorded by the system"):
        timeline_entry_edit(actor=responder, source=WEB, entry=change, body="rewritten")
    change.refresh_from_db()
    assert change.body.startswith("Status investigating → identified")
    assert not TimelineRevision.objects.exists()


def test_pinning_and_unpinning(incident, responder):
    entry = add(incident, responder)
    timeline_entry_pin(actor=responder, source=WEB, entry=entry, pinned=True)
    assert TimelineEntry.objects.get(pk=entry.pk).pinned
    timeline_entry_pin(actor=responder, source=WEB, entry=entry, pinned=False)
    assert not TimelineEntry.objects.get(pk=entry.pk).pinned


def test_the_declared_event_recorded_by_the_system_cannot_be_edited(declare, responder):
    from incidentdesk.core.errors import InvalidTransition
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services import timeline_entry_edit

    incident = declare()
    declared = incident.timeline.get(kind="event")
    with pytest.raises(InvalidTransition):
        timeline_entry_edit(
            actor=responder, source=ActionSource.WEB, entry=declared, body="rewritten"
        )
    declared.refresh_from_db()
    assert declared.body.startswith("Declared by") and not declared.revisions.exists()


def test_an_event_written_by_hand_stays_editable(declare, responder):
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services import timeline_entry_add, timeline_entry_edit

    incident = declare()
    entry = timeline_entry_add(
        actor=responder, source=ActionSource.WEB, incident=incident, kind="event", body="CPU spiked"
    )
    timeline_entry_edit(actor=responder, source=ActionSource.WEB, entry=entry, body="CPU hit 100%")
    assert entry.revisions.get().body == "CPU spiked"

"""Inbound chat events are acted on through the same services as the web, as the linked
account, with `source=chat`; the answer goes back into the conversation through the outbox."""

import json
from datetime import UTC, datetime

import pytest

from incidentdesk.chat.handling import handle
from incidentdesk.chat.models import InboundRecord, IncidentConversation
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.chat.services import inbound_record
from incidentdesk.incidents.models import EntryKind, TimelineEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def deliver(kind="command", text="", conversation="C1", actor="UADA", key="Ev1", **more):
    event = InboundEvent(
        platform="slack",
        dedup_key=key,
        kind=kind,
        conversation=conversation,
        actor=actor,
        occurred_at=datetime.now(tz=UTC),
        text=text,
        **more,
    )
    record, created = inbound_record(event)
    assert created
    handle(record.pk)
    record.refresh_from_db()
    return record


def posted(standin, channel):
    return [
        c.args["text"] for c in standin.calls_to("chat.postMessage") if c.args["channel"] == channel
    ]


def test_a_command_in_the_incidents_channel_changes_the_incident_as_the_linked_account(
    configured, standin, ada, declare, committed
):
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    record = committed(deliver, text="SEV trivial", conversation=channel.id)
    assert record.error == "" and record.processed_at
    incident.refresh_from_db()
    assert incident.severity.key == "trivial"
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.FIELD_CHANGE).get()
    assert (entry.source, entry.author) == ("chat", ada)
    assert any("trivial" in text.lower() for text in posted(standin, channel.id))


def test_a_chat_user_not_linked_is_told_how_and_nothing_is_written(
    configured, standin, declare, committed
):
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    standin.add_user("UEVE", name="eve")
    before = TimelineEntry.objects.count()
    record = committed(deliver, text="sev trivial", conversation=channel.id, actor="UEVE")
    assert "not linked" in record.error
    assert TimelineEntry.objects.count() == before
    assert any("not linked" in text for text in posted(standin, channel.id))


def test_a_viewer_is_refused_a_command_their_role_does_not_allow(
    configured, standin, declare, committed
):
    incident = committed(declare)
    UserFactory(username="vic", email="vic@example.com", role="viewer")
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    standin.add_user("UVIC", name="vic", email="vic@example.com")
    record = committed(deliver, text="sev trivial", conversation=channel.id, actor="UVIC")
    incident.refresh_from_db()
    assert incident.severity.key == "major"
    assert record.error
    assert posted(standin, channel.id)


def test_declaring_announces_the_incident_and_a_change_updates_that_message_in_place(
    configured, standin, declare, ada, committed
):
    incident = committed(declare)
    [first] = posted(standin, configured.incidents_channel)
    assert incident.reference in first and "Major" in first
    channel = standin.add_channel("elsewhere", members=(standin.bot_user,))
    committed(deliver, text=f"{incident.reference} sev trivial", conversation=channel.id)
    updates = standin.calls_to("chat.update")
    assert updates and "Trivial" in updates[-1].args["text"]
    assert len(posted(standin, configured.incidents_channel)) == 1


def test_a_mention_names_the_linked_person(configured, standin, declare, ada, manager, committed):
    manager.email = "mo@example.com"
    manager.save()
    standin.add_user("UMO", name="mo", email="mo@example.com")
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    record = committed(deliver, text="lead <@UMO|mo>", conversation=channel.id)
    assert record.error == ""
    entry = TimelineEntry.objects.filter(incident=incident, kind=EntryKind.ROLE_CHANGE).last()
    assert entry.data["to"] == manager.username and entry.source == "chat"


def test_take_the_lead_makes_the_presser_the_lead_and_drops_the_button(
    configured, standin, declare, ada, committed
):
    incident = committed(declare)
    [announcement] = standin.calls_to("chat.postMessage")
    actions = [
        element["action_id"]
        for block in announcement.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert "incident.take_lead" in actions
    record = committed(
        deliver,
        kind="button",
        conversation=configured.incidents_channel,
        key="trigger:1",
        values={"action": "incident.take_lead", "value": str(incident.pk)},
    )
    assert record.error == ""
    lead = incident.role_history.filter(role="lead", ended_at__isnull=True).get()
    assert lead.user == ada
    update = standin.calls_to("chat.update")[-1]
    assert "incident.take_lead" not in json.dumps(update.args.get("blocks"))
    assert ada.display_name in update.args["text"]


def test_a_button_for_an_incident_that_does_not_exist_is_answered_not_failed(
    configured, standin, ada, committed
):
    record = committed(
        deliver,
        kind="button",
        conversation="CX",
        key="trigger:2",
        values={"action": "incident.take_lead", "value": "999999"},
    )
    assert "no longer exists" in record.error


def test_a_change_made_on_the_web_is_told_in_the_incidents_channel_and_not_a_note(
    configured, standin, declare, ada, committed, manager
):
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services.lifecycle import incident_set_status
    from incidentdesk.incidents.services.timeline import timeline_entry_add

    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    committed(
        incident_set_status,
        actor=manager,
        source=ActionSource.WEB,
        incident=incident,
        status="identified",
    )
    committed(
        timeline_entry_add,
        actor=manager,
        source=ActionSource.WEB,
        incident=incident,
        kind="note",
        body="just a note",
    )
    [told] = posted(standin, channel.id)
    assert manager.display_name in told and "identified" in told.lower()


def test_a_restricted_incident_is_never_announced(configured, standin, declare, ada, committed):
    committed(declare, restricted=True)
    assert posted(standin, configured.incidents_channel) == []


def test_an_event_nobody_acted_on_is_acted_on_by_the_sweep_once(
    configured, standin, declare, ada, committed
):
    from datetime import timedelta

    from django.utils import timezone

    from incidentdesk.chat import tasks

    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    event = InboundEvent(
        platform="slack",
        dedup_key="Ev-lost",
        kind="command",
        conversation=channel.id,
        actor="UADA",
        occurred_at=datetime.now(tz=UTC),
        text="note the queue was down",
    )
    record, _ = inbound_record(event)  # stored, but its task was never queued
    InboundRecord.objects.filter(pk=record.pk).update(
        received_at=timezone.now() - timedelta(minutes=1)
    )
    committed(tasks.chat_inbound_sweep.call_local)
    committed(tasks.chat_inbound_sweep.call_local)
    notes = TimelineEntry.objects.filter(incident=incident, body="the queue was down")
    assert notes.count() == 1 and notes.get().source == "chat"


def test_an_event_another_worker_is_acting_on_is_not_taken_twice(configured, standin, ada):
    from incidentdesk.chat.handling import claim

    record, _ = inbound_record(
        InboundEvent(
            platform="slack",
            dedup_key="Ev-busy",
            kind="command",
            conversation="C1",
            actor="UADA",
            occurred_at=datetime.now(tz=UTC),
            text="help",
        )
    )
    assert claim(record.pk) is not None
    assert claim(record.pk) is None


def test_a_change_from_chat_is_told_in_the_incidents_channel_unless_it_was_said_there(
    configured, standin, declare, ada, committed
):
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    committed(deliver, text="status identified", conversation=channel.id, key="Ev-here")
    [reply] = posted(standin, channel.id)  # the reply only, not a notice as well
    elsewhere = standin.add_channel("ops", members=(standin.bot_user,))
    committed(
        deliver,
        text=f"{incident.reference} status monitoring",
        conversation=elsewhere.id,
        key="Ev-elsewhere",
    )
    told = posted(standin, channel.id)[1:]
    assert len(told) == 1 and "monitoring" in told[0].lower()
    assert ada.display_name in told[0]

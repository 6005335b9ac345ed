"""`checkin <interval>`: the command stores the incident's check-in and records it on the
timeline; a worker reminds the incident's conversation and its lead when it is due, through the
outbox, and moves the next one by the interval from now."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.chat.checkins import checkins_remind, parse_interval
from incidentdesk.chat.models import ChatIdentity, Checkin, IncidentConversation, LinkMethod
from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, IncidentRole, TimelineEntry
from incidentdesk.incidents.services.commands import command_run
from incidentdesk.incidents.services.lifecycle import incident_resolve
from incidentdesk.incidents.services.roles import role_assign

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def say(actor, incident, text):
    return command_run(actor=actor, source=WEB, incident=incident, text=text)


def posted(standin, channel):
    return [
        c.args["text"] for c in standin.calls_to("chat.postMessage") if c.args["channel"] == channel
    ]


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("30m", 30), ("1h", 60), ("1h30m", 90), ("45 minutes", 45), ("2 hours", 120), ("15", 15)],
)
def test_an_interval_is_read_in_minutes_and_hours(text, minutes):
    assert parse_interval(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["off", "OFF", "stop"])
def test_off_names_no_interval(text):
    assert parse_interval(text) is None


@pytest.mark.parametrize("text", ["2m", "25h", "0", "soon", "30 seconds", "-5m", "1d"])
def test_an_interval_outside_five_minutes_to_a_day_or_not_an_interval_is_refused_by_name(text):
    with pytest.raises(ValidationError) as refused:
        parse_interval(text)
    assert refused.value.field == "interval"


def test_checkin_stores_the_interval_and_records_it_on_the_timeline(declare, responder):
    incident = declare()
    before = timezone.now()
    result = say(responder, incident, "checkin 30m")
    checkin = Checkin.objects.get(incident=incident)
    assert checkin.interval == timedelta(minutes=30)
    assert (
        before + timedelta(minutes=30) <= checkin.next_at <= timezone.now() + timedelta(minutes=30)
    )
    entry = TimelineEntry.objects.filter(incident=incident, data__event="checkin").get()
    assert entry.kind == EntryKind.EVENT and entry.author == responder
    assert entry.body == "Check-ins every 30 minutes until resolved"
    assert "30 minutes" in result.reply


def test_checkin_again_replaces_the_interval(declare, responder):
    incident = declare()
    say(responder, incident, "checkin 30m")
    say(responder, incident, "checkin 1h")
    assert Checkin.objects.get(incident=incident).interval == timedelta(hours=1)


def test_a_bad_interval_is_refused_and_nothing_is_written(declare, responder):
    incident = declare()
    before = TimelineEntry.objects.count()
    with pytest.raises(ValidationError) as refused:
        say(responder, incident, "checkin 2m")
    assert refused.value.field == "interval" and "5 minutes" in refused.value.message
    assert not Checkin.objects.exists() and TimelineEntry.objects.count() == before


def test_checkin_off_stops_the_checkins_and_says_so(declare, responder):
    incident = declare()
    say(responder, incident, "checkin 30m")
    result = say(responder, incident, "checkin off")
    assert not Checkin.objects.exists() and "stopped" in result.reply
    assert TimelineEntry.objects.filter(incident=incident, body="Check-ins stopped").exists()


def test_checkin_off_without_checkins_records_nothing(declare, responder):
    incident = declare()
    before = TimelineEntry.objects.count()
    result = say(responder, incident, "checkin off")
    assert "none to stop" in result.reply and TimelineEntry.objects.count() == before


def test_checkin_is_refused_on_a_resolved_incident(declare, responder):
    incident = declare()
    incident_resolve(actor=responder, source=WEB, incident=incident, message="")
    incident.refresh_from_db()
    with pytest.raises(InvalidTransition) as refused:
        say(responder, incident, "checkin 30m")
    assert "open incidents" in refused.value.message
    assert not Checkin.objects.exists()


def test_a_viewer_cannot_ask_for_checkins(declare, make_user):
    incident = declare()
    with pytest.raises(PermissionDenied):
        say(make_user(Role.VIEWER, username="vic"), incident, "checkin 30m")
    assert not Checkin.objects.exists()


# The reminder --------------------------------------------------------------------------------


@pytest.fixture
def lead_on_slack(standin, responder):
    standin.add_user("ULEAD", name="rita")
    ChatIdentity.objects.create(
        platform="slack", external_id="ULEAD", name="rita", user=responder, link=LinkMethod.ADMIN
    )
    return responder


def _due(incident, responder, committed):
    committed(role_assign, actor=responder, source=WEB, incident=incident,
              role=IncidentRole.LEAD, user=responder)  # fmt: skip
    say(responder, incident, "checkin 30m")
    Checkin.objects.filter(incident=incident).update(
        next_at=timezone.now() - timedelta(hours=3)  # the worker was down for hours
    )


def test_a_due_checkin_reminds_the_channel_and_the_lead_once_and_moves_on_by_the_interval(
    configured, standin, declare, lead_on_slack, committed, settings
):
    settings.REPORTING_TIME_ZONE = "UTC"
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    _due(incident, lead_on_slack, committed)
    now = datetime.now(tz=UTC)
    assert committed(checkins_remind, now) == 1
    next_at = Checkin.objects.get(incident=incident).next_at
    assert next_at == now + timedelta(minutes=30)  # from now, not from the missed time
    expected = (
        f"Check-in for {incident.reference}: what changed since the last one? "
        f"Next at {next_at:%H:%M} UTC"
    )
    assert [t for t in posted(standin, channel.id) if t.startswith("Check-in")] == [expected]
    [dm] = [c for c in standin.channels.values() if c.name == "dm-ULEAD"]
    [direct] = posted(standin, dm.id)
    assert direct.startswith(expected) and incident.reference in direct
    # Not due again until the next time: a second run a minute later tells no one.
    assert committed(checkins_remind, now + timedelta(minutes=1)) == 0
    assert len([t for t in posted(standin, channel.id) if t.startswith("Check-in")]) == 1


def test_a_checkin_that_is_not_due_is_not_told(configured, standin, declare, responder, committed):
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    say(responder, incident, "checkin 30m")
    assert committed(checkins_remind) == 0
    assert not [t for t in posted(standin, channel.id) if t.startswith("Check-in")]


def test_a_resolved_incidents_checkin_is_dropped_without_a_reminder(
    configured, standin, declare, lead_on_slack, committed
):
    incident = committed(declare)
    channel = standin.add_channel("inc", members=(standin.bot_user,))
    IncidentConversation.objects.create(
        incident=incident, platform="slack", conversation=channel.id
    )
    _due(incident, lead_on_slack, committed)
    committed(incident_resolve, actor=lead_on_slack, source=WEB, incident=incident, message="")
    assert committed(checkins_remind) == 0
    assert not Checkin.objects.exists()
    assert not [t for t in posted(standin, channel.id) if t.startswith("Check-in")]

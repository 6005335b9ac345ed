"""Reminders to the team when the public page goes quiet, and scheduled maintenance that runs
itself and tells subscribers ahead of time."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.incidents.services import role_assign
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.reminders import (
    incident_reminders_send,
    maintenance_reminders_send,
)
from incidentdesk.statuspage.services import (
    maintenance_schedule,
    publication_create,
    publication_resolve,
    publication_update,
)
from incidentdesk.statuspage.tasks import maintenance_transitions_run
from tests.notifications.conftest import WEB


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Call a periodic step and let its outbox events be delivered (tasks run inline)."""

    def call(step, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return step(**kwargs)

    return call


@pytest.fixture
def quiet_incident(publish, make_user, responder):
    publication = publish(remind_interval_minutes=30)
    lena = make_user(username="lena", email="lena@example.com")
    cole = make_user(username="cole", email="cole@example.com")
    for role, user in (("lead", lena), ("comms_lead", cole)):
        role_assign(
            actor=responder, source=WEB, incident=publication.incident, role=role, user=user
        )
    return publication


def reminders(inbox):
    return [(r, m) for r, m in inbox.messages if m["Subject"].startswith("[Reminder]")]


def test_the_lead_and_comms_lead_are_reminded_each_interval_until_resolved(
    smtp, quiet_incident, run, responder
):
    start = quiet_incident.last_update_at
    assert run(incident_reminders_send, now=start + timedelta(minutes=29)) == 0
    assert run(incident_reminders_send, now=start + timedelta(minutes=31)) == 1
    sent = reminders(smtp)
    assert {r for rcpts, _ in sent for r in rcpts} == {"lena@example.com", "cole@example.com"}
    subject = sent[0][1]["Subject"]
    reference = quiet_incident.incident.reference
    # The configured interval, not the 31 minutes that happened to pass.
    assert subject == f"[Reminder] {reference}: no public update for 30 minutes"
    text = sent[0][1].get_content()
    assert f"goes to the comms lead and the lead of {reference}" in text
    assert f"/incidents/{reference}" in text
    # Not again within the interval, but again after it.
    assert run(incident_reminders_send, now=start + timedelta(minutes=50)) == 0
    assert run(incident_reminders_send, now=start + timedelta(minutes=62)) == 1
    assert len(reminders(smtp)) == 4
    publication_resolve(actor=responder, source=WEB, public_incident=quiet_incident, message="ok")
    assert run(incident_reminders_send, now=start + timedelta(hours=5)) == 0


def test_a_public_update_restarts_the_reminder_clock(smtp, quiet_incident, run, responder):
    publication_update(
        actor=responder, source=WEB, public_incident=quiet_incident, message="Still on it."
    )
    quiet_incident.refresh_from_db()
    assert (
        run(incident_reminders_send, now=quiet_incident.last_update_at + timedelta(minutes=20)) == 0
    )
    assert (
        run(incident_reminders_send, now=quiet_incident.last_update_at + timedelta(minutes=31)) == 1
    )


def test_a_publication_reminds_at_its_severitys_interval_by_default(smtp, declare, responder, run):
    incident = declare(severity="critical")  # critical: remind every 30 minutes
    publication = publication_create(
        actor=responder, source=WEB, incident=incident, name="Checkout down", message="Looking."
    )
    assert publication.remind_interval_minutes == 30
    start = publication.last_update_at
    assert run(incident_reminders_send, now=start + timedelta(minutes=29)) == 0
    assert run(incident_reminders_send, now=start + timedelta(minutes=45)) == 1
    [(_, message)] = reminders(smtp)
    assert message["Subject"].endswith("no public update for 30 minutes")
    assert "Reminders repeat every 30 minutes" in message.get_content()
    assert "45" not in message["Subject"]


def test_an_hourly_interval_is_written_as_one_hour(smtp, publish, run):
    publication = publish(remind_interval_minutes=60)  # major's interval anyway
    assert run(incident_reminders_send, now=publication.last_update_at + timedelta(hours=3)) == 1
    [(_, message)] = reminders(smtp)
    assert message["Subject"].endswith("no public update for 1 hour")


def test_reminders_can_be_turned_off(smtp, publish, run):
    publication = publish(remind=False)
    assert run(incident_reminders_send, now=publication.last_update_at + timedelta(days=1)) == 0
    assert reminders(smtp) == []


def test_without_lead_or_comms_lead_the_reporter_is_reminded(smtp, publish, run, responder):
    publication = publish(remind_interval_minutes=10)
    assert run(incident_reminders_send, now=publication.last_update_at + timedelta(minutes=11)) == 1
    [(recipients, message)] = reminders(smtp)
    assert recipients == [responder.email]
    assert "goes to the reporter (no lead or comms lead is assigned)" in message.get_content()


@pytest.fixture
def maintenance(manager, components):
    def make(**kwargs):
        start = timezone.now() + timedelta(hours=2)
        return maintenance_schedule(
            actor=manager,
            source=WEB,
            name="Database upgrade",
            message="We are upgrading the billing database.",
            scheduled_for=start,
            scheduled_until=start + timedelta(hours=1),
            components=[components["Billing"].public_id],
            **kwargs,
        )

    return make


def test_subscribers_are_told_once_an_hour_before_maintenance(
    smtp, subscribe, maintenance, run, components
):
    subscribe(email="ann@example.com", components=[components["Billing"]])
    subscribe(email="bob@example.com", components=[components["API"]])
    planned = maintenance()
    start = planned.scheduled_for
    assert run(maintenance_reminders_send, now=start - timedelta(minutes=61)) == 0
    assert run(maintenance_reminders_send, now=start - timedelta(minutes=59)) == 1
    assert run(maintenance_reminders_send, now=start - timedelta(minutes=30)) == 0  # once
    subjects = [m["Subject"] for m in smtp.updates("ann@example.com")]
    assert any(s.startswith("[Status] Reminder: Database upgrade starts") for s in subjects)
    assert smtp.updates("bob@example.com") == []
    planned.refresh_from_db()
    assert planned.scheduled_reminded_at is not None


def test_no_reminder_when_it_was_announced_within_the_hour(smtp, manager, run, components):
    start = timezone.now() + timedelta(minutes=30)
    planned = maintenance_schedule(
        actor=manager, source=WEB, name="Quick fix", message="Short restart.",
        scheduled_for=start, scheduled_until=start + timedelta(minutes=10),
    )  # fmt: skip
    assert run(maintenance_reminders_send, now=start - timedelta(minutes=20)) == 0
    planned.refresh_from_db()
    assert planned.scheduled_reminded_at is not None  # considered, and settled


def test_maintenance_starts_and_completes_itself_at_its_times(
    smtp, subscribe, maintenance, run, components
):
    subscribe(email="ann@example.com", components=[components["Billing"]])
    planned = maintenance()
    billing = components["Billing"]
    assert run(maintenance_transitions_run, now=planned.scheduled_for - timedelta(minutes=1)) == 0
    assert run(maintenance_transitions_run, now=planned.scheduled_for + timedelta(minutes=1)) == 1
    planned.refresh_from_db()
    billing.refresh_from_db()
    assert planned.status == "in_progress" and billing.status == "under_maintenance"
    assert planned.updates.first().body.startswith("Scheduled maintenance is now in progress")
    assert planned.updates.first().created_by is None
    assert run(maintenance_transitions_run, now=planned.scheduled_for + timedelta(minutes=2)) == 0
    assert run(maintenance_transitions_run, now=planned.scheduled_until + timedelta(minutes=1)) == 1
    planned.refresh_from_db()
    billing.refresh_from_db()
    assert planned.status == "completed" and billing.status == "operational"
    subjects = [m["Subject"] for m in smtp.updates("ann@example.com")]
    assert "[Status] Database upgrade: In progress" in subjects
    assert "[Status] Database upgrade: Completed" in subjects


def test_maintenance_missed_entirely_completes_directly(maintenance, run):
    planned = maintenance()
    assert run(maintenance_transitions_run, now=planned.scheduled_until + timedelta(hours=1)) == 1
    planned.refresh_from_db()
    assert planned.status == "completed"


def test_maintenance_without_auto_transition_is_left_to_people(maintenance, run):
    planned = maintenance(auto_transition=False)
    assert run(maintenance_transitions_run, now=planned.scheduled_until + timedelta(hours=1)) == 0
    assert PublicIncident.objects.get(pk=planned.pk).status == "scheduled"

"""`make demo` (`incidentdesk serve --demo`, `incidentdesk demo`) writes each story's timeline in
the order it is told: every step at its moment, the roles, status changes and action items
too, not all of them stamped with the moment the demo ran."""

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from incidentdesk.config.demo import load_demo
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus

# The card payments story (the first open incident), as told in config/demo.py, oldest first.
CARD_PAYMENTS = [
    "Alert: card payment errors above 20% for 5 minutes.",
    "Declared by Sam Okafor: Card payments failing at checkout",
    "Sam Okafor is now lead",
    "Priya Raman is now scribe",
    "Marco Bianchi is now communications lead",
    "Priya Raman is now assignee",
    "Release 412 of the payments service finished deploying",
    "Status investigating → identified",
    "Published (identified): Some card payments are being declined",
    "Roll back payments to release 411 instead of fixing forward.",
    "Action item added: Roll back payments service to release 411",
    "Published (identified): We found the cause and are rolling back",
    "Rollback half done; error rate down from 24% to 9%.",
    "Action item added: Alert on card-decline rate per provider",
]


def _story(incident: Incident) -> list[str]:
    """The incident's entries oldest first, as the timeline orders them (by occurred_at)."""
    return [e.body for e in incident.timeline.order_by("occurred_at", "pk")]


def test_the_demo_story_reads_in_the_order_it_is_told(db):
    load_demo()
    incident = Incident.objects.get(title="Card payments failing at checkout")
    told = _story(incident)
    assert len(told) == len(CARD_PAYMENTS)
    for line, expected in zip(told, CARD_PAYMENTS, strict=True):
        assert line.startswith(expected), (line, expected)


def test_the_incident_page_shows_the_demo_story_newest_first(db, client):
    load_demo()
    incident = Incident.objects.get(title="Card payments failing at checkout")
    client.force_login(incident.created_by)
    page = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)).replace("&gt;", ">")
    places = [text.find(line) for line in CARD_PAYMENTS]
    missing = [line for line, at in zip(CARD_PAYMENTS, places, strict=True) if at < 0]
    assert not missing
    assert places == sorted(places, reverse=True)


def test_no_demo_step_is_stamped_with_the_moment_the_demo_ran(db):
    began = timezone.now()
    load_demo()
    for incident in Incident.objects.all():
        for entry in incident.timeline.filter(
            kind__in=[EntryKind.ROLE_CHANGE, EntryKind.STATUS_CHANGE, EntryKind.ACTION]
        ).exclude(body__startswith="Action item added: Enforce"):  # the postmortem's, made now
            assert entry.occurred_at < began - timedelta(minutes=10), (incident, entry.body)


def test_the_demo_times_follow_from_its_steps(db):
    load_demo()
    for incident in Incident.objects.exclude(kind="retrospective"):
        lead = incident.timeline.filter(body__contains="is now lead").get()
        assert incident.acknowledged_at == lead.occurred_at
        assert incident.declared_at < lead.occurred_at < incident.declared_at + timedelta(hours=1)
        if incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED):
            resolved = incident.timeline.filter(body__contains="→ resolved").get()
            assert incident.resolved_at == resolved.occurred_at
        if incident.mitigated_at:
            mitigated = incident.timeline.filter(body__contains="→ monitoring").get()
            assert incident.mitigated_at == mitigated.occurred_at


def test_the_demo_leaves_the_clock_as_it_found_it(db):
    load_demo()
    assert abs(timezone.now() - timezone.localtime()).total_seconds() < 1
    assert timezone.now.__module__ == "django.utils.timezone"


def test_no_demo_account_is_on_the_desk_so_the_sample_emails_nobody(db):
    from incidentdesk.accounts.models import User
    from incidentdesk.notifications.models import OutboxEvent

    load_demo()
    assert not User.objects.filter(on_responders_desk=True).exists()
    assert (
        not OutboxEvent.objects.filter(topic="incident.declared").exclude(staff_emails=[]).exists()
    )

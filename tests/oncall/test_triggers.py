"""What pages without anyone typing `page`: a severity whose policy pages (on declaration, and
when an incident is raised to it with nobody paged), and the chat announcement's "Page
on-call" button. Paging never fails the declaration."""

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, IncidentStatus, TimelineEntry
from incidentdesk.incidents.services.incidents import incident_declare, incident_update
from incidentdesk.oncall.models import EscalationStep, Page, PageStatus
from incidentdesk.oncall.paging import page_create
from tests.chat.test_handling import deliver

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def presser(standin, responder):
    """The responder, linked to the chat user UADA by a verified email."""
    responder.email = "rita@example.net"
    responder.save()
    standin.add_user("UADA", name="rita", email="rita@example.net")
    return responder


@pytest.fixture
def lead_policy(make_policy, crew):
    """The default policy: bob, then cy."""
    return make_policy(
        [{"target": "person", "person": "bob"}, {"target": "person", "person": "cy"}],
        name="Lead",
        is_default=True,
    )


def test_declaring_with_a_paging_severity_pages_the_default_policy_as_the_declarer(
    lead_policy, crew, declare, responder
):
    incident = declare(actor=responder, severity="critical", title="Checkout is down")
    page = Page.objects.get()
    assert (page.incident, page.policy, page.created_by) == (incident, lead_policy, responder)
    assert page.source == "web"
    assert page.status == PageStatus.OPEN
    assert page.summary == f"{incident.reference}: Checkout is down"
    assert [n.user for n in page.notices.all()] == [crew["bob"]]
    paged = TimelineEntry.objects.get(incident=incident, data__page=page.pk)
    assert paged.body.startswith("Paged the escalation policy Lead")


def test_the_page_keeps_the_door_the_incident_was_declared_through(lead_policy, responder):
    incident = incident_declare(
        actor=responder,
        source=ActionSource.API,
        title="Down",
        severity="critical",
        criteria=["immediate_response"],
    )
    assert Page.objects.get(incident=incident).source == "api"


def test_a_severity_that_does_not_page_pages_nobody(lead_policy, declare):
    declare(severity="trivial")
    assert not Page.objects.exists()


def test_a_retrospective_incident_pages_nobody(lead_policy, declare):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    declare(
        severity="critical",
        kind="retrospective",
        started_at=now - timedelta(hours=3),
        resolved_at=now - timedelta(hours=1),
    )
    assert not Page.objects.exists()


def test_with_no_default_policy_the_declaration_stands_and_nobody_is_paged(
    declare, make_policy, crew
):
    make_policy([{"target": "person", "person": "bob"}], name="Not default")
    incident = declare(severity="critical")
    assert incident.pk and incident.status == IncidentStatus.INVESTIGATING
    assert not Page.objects.exists()


def test_a_default_policy_that_cannot_page_is_written_on_the_timeline(lead_policy, declare):
    EscalationStep.objects.filter(policy=lead_policy).delete()  # nobody left to notify
    incident = declare(severity="critical")
    assert incident.pk
    assert not Page.objects.exists()
    note = TimelineEntry.objects.get(incident=incident, data__has_key="page_failed")
    assert note.kind == EntryKind.EVENT
    assert "could not be paged" in note.body and "notifies nobody" in note.body


def test_raising_an_incident_to_a_paging_severity_pages_the_default_policy(
    lead_policy, declare, responder
):
    incident = declare(severity="trivial")
    assert not Page.objects.exists()
    incident_update(
        actor=responder, source=ActionSource.CLI, incident=incident, changes={"severity": "major"}
    )
    page = Page.objects.get()
    assert (page.incident, page.source, page.created_by) == (incident, "cli", responder)


def test_raising_while_a_page_is_escalating_or_acknowledged_does_not_page_again(
    lead_policy, declare, responder, crew
):
    incident = declare(severity="trivial")
    page = page_create(actor=responder, source=WEB, person="dee", incident=incident)
    incident_update(actor=responder, source=WEB, incident=incident, changes={"severity": "major"})
    assert list(Page.objects.all()) == [page]
    Page.objects.filter(pk=page.pk).update(status=PageStatus.ACKNOWLEDGED)
    incident_update(
        actor=responder, source=WEB, incident=incident, changes={"severity": "critical"}
    )
    assert Page.objects.count() == 1


def test_raising_after_a_page_nobody_answered_pages_again(lead_policy, declare, responder):
    incident = declare(severity="major")
    Page.objects.update(status=PageStatus.EXHAUSTED)
    incident_update(
        actor=responder, source=WEB, incident=incident, changes={"severity": "critical"}
    )
    assert Page.objects.filter(status=PageStatus.OPEN).count() == 1


def test_lowering_to_a_paging_severity_does_not_page(lead_policy, declare, responder):
    incident = declare(severity="critical")
    Page.objects.update(status=PageStatus.CANCELLED)
    incident_update(actor=responder, source=WEB, incident=incident, changes={"severity": "major"})
    assert not Page.objects.filter(status=PageStatus.OPEN).exists()


def test_the_announcements_page_on_call_button_pages_the_default_policy_as_the_presser(
    configured,
    standin,
    presser,
    declare,
    committed,
    make_policy,
    crew,
):
    make_policy([{"target": "person", "person": "dee"}], name="Lead", is_default=True)
    incident = committed(declare, severity="trivial")
    [announcement] = standin.calls_to("chat.postMessage")
    labels = [
        (element["action_id"], element["text"]["text"])
        for block in announcement.args["blocks"]
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert ("incident.page_oncall", "Page on-call") in labels
    record = committed(
        deliver,
        kind="button",
        conversation=configured.incidents_channel,
        key="trigger:page",
        values={"action": "incident.page_oncall", "value": str(incident.pk)},
    )
    assert record.error == ""
    page = Page.objects.get()
    assert (page.incident, page.created_by, page.source) == (incident, presser, "chat")
    replies = [c.args["text"] for c in standin.calls_to("chat.postMessage")]
    assert any("paged Lead" in text for text in replies)


def test_the_page_on_call_button_without_a_default_policy_says_so(
    configured,
    standin,
    presser,
    declare,
    committed,
):
    incident = committed(declare, severity="trivial")
    record = committed(
        deliver,
        kind="button",
        conversation=configured.incidents_channel,
        key="trigger:nopolicy",
        values={"action": "incident.page_oncall", "value": str(incident.pk)},
    )
    assert "no default escalation policy" in record.error
    assert not Page.objects.exists()

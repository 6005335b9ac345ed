"""The incident page's next steps: each offered while it applies and the viewer may take it,
one click posting to the write that exists for it, gone once taken or dismissed."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import next_steps
from incidentdesk.incidents.models import IncidentRole
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.oncall.models import Page
from incidentdesk.oncall.policies import policy_create
from incidentdesk.postmortems.meetings import meeting_schedule
from incidentdesk.postmortems.models import Postmortem
from incidentdesk.statuspage.models import PublicIncident
from incidentdesk.statuspage.services import publication_create

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def steps_on_page(client, incident) -> dict[str, str]:
    """{step name: the panel item's HTML} of the incident page as `client` sees it."""
    body = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    items = re.findall(r'<li class="next-step" id="next-step-([a-z_]+)">(.*?)</li>', body, re.S)
    return dict(items)


def form_of(item: str) -> tuple[str, dict[str, str]]:
    """The action and hidden fields of a step's first form (its one click)."""
    action = re.search(r'<form method="post" action="([^"]+)"', item).group(1)
    first = item.split("</form>")[0]
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', first))
    fields.pop("csrfmiddlewaretoken", None)
    return action, fields


def click(client, item: str):
    action, fields = form_of(item)
    return client.post(action, fields)


def test_nobody_leading_offers_taking_the_lead_and_one_click_takes_it(client, declare, responder):
    incident = declare()
    client.force_login(responder)
    steps = steps_on_page(client, incident)
    assert "Take the lead" in steps["lead"]
    response = click(client, steps["lead"])
    assert response.status_code == 302
    lead = incident.role_history.get(role=IncidentRole.LEAD, ended_at__isnull=True)
    assert lead.user == responder
    assert "lead" not in steps_on_page(client, incident)


def test_a_viewer_is_offered_nothing(client, declare, viewer):
    incident = declare()
    client.force_login(viewer)
    assert steps_on_page(client, incident) == {}
    body = client.get(reverse("incident_detail", args=[incident.reference])).content.decode()
    assert '<div id="next-steps" hidden></div>' in body


def test_an_incident_declared_with_its_lead_offers_no_lead(client, declare, responder):
    incident = declare(lead=True)
    client.force_login(responder)
    assert "lead" not in steps_on_page(client, incident)


def test_paging_the_on_call_lead_is_offered_once_a_default_policy_exists(
    client, declare, manager, make_user
):
    make_user(Role.RESPONDER, username="ana")
    incident = declare(actor=manager, severity="trivial")
    client.force_login(manager)
    assert "page_lead" not in steps_on_page(client, incident)
    policy_create(
        actor=manager,
        source=WEB,
        name="Ops",
        repeat=0,
        is_default=True,
        steps=[{"target": "person", "person": "ana", "wait_minutes": 5}],
    )
    step = steps_on_page(client, incident)["page_lead"]
    assert "Page the on-call lead" in step and "Ops" in step
    assert form_of(step)[0] == reverse("incident_page_lead", args=[incident.reference])
    click(client, step)
    page = Page.objects.get(incident=incident)
    assert page.policy.name == "Ops" and page.created_by == manager
    assert "page_lead" not in steps_on_page(client, incident)


def test_publishing_is_offered_as_the_status_page_form_until_it_is_published(
    client, declare, responder
):
    incident = declare()
    client.force_login(responder)
    step = steps_on_page(client, incident)["statuspage"]
    url = reverse("incident_detail", args=[incident.reference])
    assert f'href="{url}?open=statuspage#statuspage"' in step
    publication_create(
        actor=responder,
        source=WEB,
        incident=incident,
        name="Payments are slow",
        message="We are looking into it.",
    )
    assert "statuspage" not in steps_on_page(client, incident)


def test_a_public_update_is_asked_for_once_the_severity_interval_passed_without_one(
    client, declare, responder
):
    incident = declare(severity="major")
    interval = incident.severity.reminder_interval_minutes
    publication = publication_create(
        actor=responder,
        source=WEB,
        incident=incident,
        name="Payments are slow",
        message="We are looking into it.",
    )
    client.force_login(responder)
    assert "statuspage" not in steps_on_page(client, incident)
    PublicIncident.objects.filter(pk=publication.pk).update(
        last_update_at=timezone.now() - timedelta(minutes=interval + 5)
    )
    step = steps_on_page(client, incident)["statuspage"]
    assert "Post a public update" in step
    assert "?open=statuspage#statuspage" in step


def test_after_resolving_the_postmortem_is_started_with_one_click_then_the_meeting_is_offered(
    client, declare, responder
):
    incident = declare(lead=True)
    client.force_login(responder)
    assert "postmortem_start" not in steps_on_page(client, incident)
    incident_set_status(actor=responder, source=WEB, incident=incident, status="resolved")
    steps = steps_on_page(client, incident)
    assert "root_cause_meeting" not in steps
    response = click(client, steps["postmortem_start"])
    assert response.status_code == 302
    postmortem = Postmortem.objects.get(incident=incident)
    steps = steps_on_page(client, incident)
    assert "postmortem_start" not in steps
    page = reverse("postmortem_page", args=[incident.reference])
    assert f'href="{page}?open=meeting#meeting"' in steps["root_cause_meeting"]
    meeting_schedule(
        actor=responder,
        source=WEB,
        postmortem=postmortem,
        starts_at=timezone.now() + timedelta(days=1),
        attendees=[responder.username],
    )
    assert "root_cause_meeting" not in steps_on_page(client, incident)


def test_a_dismissed_step_stays_hidden_for_that_viewer_on_that_incident_only(
    client, declare, responder, make_user
):
    incident, other = declare(), declare(title="Search is slow")
    client.force_login(responder)
    item = steps_on_page(client, incident)["lead"]
    dismiss = re.findall(r'<form method="post" action="([^"]+/dismiss)"', item)[0]
    assert client.post(dismiss).status_code == 302
    assert "lead" not in steps_on_page(client, incident)
    assert "lead" in steps_on_page(client, other)
    client.force_login(make_user(Role.RESPONDER, username="bo"))
    assert "lead" in steps_on_page(client, incident)


def test_an_offer_named_like_another_modules_is_refused():
    with pytest.raises(ValueError, match="already offers"):
        next_steps.register("lead", lambda request, incident: None, order=1)

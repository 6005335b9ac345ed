"""The paging web pages: escalation policies (managers and admins write them, step rows, a
refused step named), "Pages" (status and what the last step did), the incident page's Paging
panel and its "Page the on-call lead" button, and the contact methods of "My on-call"."""

import pytest
from django.test import Client

from incidentdesk.accounts.models import Role, User
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import ContactMethod, EscalationPolicy, Page, PageStatus
from incidentdesk.oncall.paging import page_create

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB
POLICIES = "/oncall/policies"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def policy_form(**fields) -> dict:
    return {
        "name": "Ops",
        "description": "",
        "repeat": "0",
        "step_target": ["person", "person"],
        "step_name": ["", ""],
        "step_wait": ["5", "5"],
        **fields,
    }


def test_a_manager_creates_the_default_policy_from_step_rows(chief, crew, primary):
    response = client_for(chief).post(
        POLICIES + "/new",
        policy_form(
            repeat="1",
            is_default="on",
            step_target=["schedule", "person", "person"],
            step_name=["Primary", "dee", ""],
            step_wait=["10", "5", "5"],
        ),
    )
    assert response.status_code == 302, response.content[:500]
    policy = EscalationPolicy.objects.get(name="Ops")
    assert (policy.is_default, policy.repeat) == (True, 1)
    steps = list(policy.steps.order_by("position"))
    assert [(s.target, s.wait_minutes) for s in steps] == [("schedule", 10), ("person", 5)]
    listing = client_for(chief).get(POLICIES).content.decode()
    assert "on call in Primary" in listing and "default" in listing


def test_a_refused_step_is_named_and_the_rows_come_back(chief, crew):
    response = client_for(chief).post(
        POLICIES + "/new",
        policy_form(step_name=["ada", "zed"], step_target=["person", "person"]),
    )
    assert response.status_code == 422
    text = response.content.decode()
    assert "Step 2:" in text and "zed" in text
    assert 'value="ada"' in text
    assert not EscalationPolicy.objects.exists()


def test_a_manager_edits_a_policys_steps(chief, make_policy, crew):
    policy = make_policy([{"target": "person", "person": "ada"}])
    page = client_for(chief).get(f"{POLICIES}/{policy.pk}")
    assert 'value="ada"' in page.content.decode()
    response = client_for(chief).post(
        f"{POLICIES}/{policy.pk}",
        policy_form(step_name=["bob", ""], step_wait=["3", "5"]),
    )
    assert response.status_code == 302
    [step] = EscalationPolicy.objects.get(pk=policy.pk).steps.all()
    assert (step.user.username, step.wait_minutes) == ("bob", 3)


def test_deleting_a_policy_in_use_is_refused_with_why(chief, make_policy, crew):
    night = make_policy([{"target": "person", "person": "ada"}], name="Night")
    make_policy([{"target": "policy", "policy": "Night"}], name="Day")
    response = client_for(chief).post(f"{POLICIES}/{night.pk}/delete", follow=True)
    assert "hands over to it" in response.content.decode()
    assert EscalationPolicy.objects.filter(pk=night.pk).exists()


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER])
def test_who_is_not_a_manager_reads_policies_but_changes_none(role, make_user, make_policy, crew):
    policy = make_policy([{"target": "person", "person": "ada"}])
    client = client_for(make_user(role, username="someone"))
    listing = client.get(POLICIES)
    assert listing.status_code == 200 and "Ops" in listing.content.decode()
    assert "Delete" not in listing.content.decode()
    assert client.get(POLICIES + "/new").status_code == 403
    assert client.post(POLICIES + "/new", policy_form(step_name=["ada", ""])).status_code == 403
    assert client.post(f"{POLICIES}/{policy.pk}/delete").status_code == 403
    assert client.get("/oncall/pages").status_code == 403
    assert list(EscalationPolicy.objects.all()) == [policy]


def test_the_pages_list_shows_status_who_acknowledged_and_the_last_steps_outcome(
    chief, responder, crew, incident
):
    answered = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    unanswered = page_create(actor=responder, source=WEB, person="bob", summary="Disk full")
    Page.objects.filter(pk=unanswered.pk).update(
        status=PageStatus.EXHAUSTED, outcome="nobody acknowledged after step 1 of 1"
    )
    client_for(crew["ada"]).post(f"/oncall/pages/{answered.pk}/acknowledge")
    text = client_for(chief).get("/oncall/pages").content.decode()
    assert "Nobody acknowledged" in text and "nobody acknowledged after step 1 of 1" in text
    assert "Acknowledged" in text and crew["ada"].display_name in text
    only = client_for(chief).get("/oncall/pages?status=exhausted").content.decode()
    assert "Disk full" in only and incident.reference not in only


def test_cancelling_a_page_from_the_list(chief, responder, crew):
    page = page_create(actor=responder, source=WEB, person="ada", summary="Disk full")
    client_for(chief).post(f"/oncall/pages/{page.pk}/cancel", {"reason": "fixed"})
    page.refresh_from_db()
    assert page.status == PageStatus.CANCELLED and "fixed" in page.outcome


def test_the_incident_panel_pages_the_on_call_lead_and_shows_who_acknowledged(
    responder, make_policy, crew, incident
):
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    client = client_for(responder)
    page = client.get(f"/incidents/{incident.reference}").content.decode()
    assert "Page the on-call lead" in page
    response = client.post(f"/incidents/{incident.reference}/page-lead")
    assert response.status_code == 302
    sent = Page.objects.get()
    assert (sent.incident, sent.source, sent.created_by) == (incident, "web", responder)
    client_for(crew["cy"]).post(
        f"/oncall/pages/{sent.pk}/acknowledge", {"next": f"/incidents/{incident.reference}"}
    )
    panel = client.get(f"/incidents/{incident.reference}").content.decode()
    assert "Acknowledged by <strong>" + crew["cy"].display_name in panel


def test_the_panel_says_when_a_paging_severity_paged_nobody(responder, declare):
    incident = declare(severity="critical")
    text = client_for(responder).get(f"/incidents/{incident.reference}").content.decode()
    assert "no default escalation policy, so nobody was paged" in text
    assert "Page the on-call lead" not in text


def test_a_viewer_cannot_page_from_the_incident_page(make_user, make_policy, crew, incident):
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    client = client_for(make_user(Role.VIEWER, username="val"))
    assert (
        "Page the on-call lead"
        not in client.get(f"/incidents/{incident.reference}").content.decode()
    )
    assert client.post(f"/incidents/{incident.reference}/page-lead").status_code == 403
    assert not Page.objects.exists()


def test_contact_methods_are_added_ordered_and_removed_on_my_on_call(crew):
    ada = client_for(crew["ada"])
    ada.post("/oncall/me/contact-methods/add", {"kind": "email", "address": "a@example.org"})
    ada.post(
        "/oncall/me/contact-methods/add",
        {"kind": "sms", "address": "+4915112345678", "label": "phone"},
    )
    sms = ContactMethod.objects.get(kind="sms")
    ada.post(f"/oncall/me/contact-methods/{sms.pk}/move", {"position": "1"})
    text = ada.get("/oncall/me").content.decode()
    assert "How pages reach me" in text
    assert text.index("+4915112345678") < text.index("a@example.org")
    ada.post(f"/oncall/me/contact-methods/{sms.pk}/remove")
    assert list(ContactMethod.objects.values_list("kind", flat=True)) == ["email"]


def test_a_bad_address_comes_back_on_the_form_naming_it(crew):
    response = client_for(crew["ada"]).post(
        "/oncall/me/contact-methods/add", {"kind": "webhook", "address": "not a url"}
    )
    assert response.status_code == 422
    assert 'id="id_address_error"' in response.content.decode()
    assert not ContactMethod.objects.exists()


def test_nobody_removes_someone_elses_contact_method(crew):
    method = ContactMethod.objects.create(
        user=crew["bob"], position=1, kind="email", address="b@example.org"
    )
    response = client_for(crew["ada"]).post(f"/oncall/me/contact-methods/{method.pk}/remove")
    assert response.status_code == 404
    assert ContactMethod.objects.filter(pk=method.pk).exists()


def test_a_paged_viewer_acknowledges_from_the_panel_and_other_viewers_see_no_button(
    responder, make_user, incident
):
    paged = make_user(Role.VIEWER, username="val")
    make_user(Role.VIEWER, username="vic")
    page = page_create(actor=responder, source=WEB, person="val", incident=incident)
    other = client_for(User.objects.get(username="vic"))
    assert "Acknowledge<span" not in other.get(f"/incidents/{incident.reference}").content.decode()
    client = client_for(paged)
    assert "Acknowledge<span" in client.get(f"/incidents/{incident.reference}").content.decode()
    client.post(f"/oncall/pages/{page.pk}/acknowledge")
    page.refresh_from_db()
    assert (page.status, page.acknowledged_by) == (PageStatus.ACKNOWLEDGED, paged)


def test_my_webhook_contact_methods_signing_secret_is_shown_to_me(crew, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    from incidentdesk.oncall.contacts import webhook_secret

    ada = client_for(crew["ada"])
    ada.post(
        "/oncall/me/contact-methods/add",
        {"kind": "webhook", "address": "http://127.0.0.1:9/p"},
    )
    method = ContactMethod.objects.get()
    assert webhook_secret(method.pk) in ada.get("/oncall/me").content.decode()

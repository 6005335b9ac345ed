"""The paging endpoints of the JSON API: escalation policies, pages and the caller's contact
methods, answered with the same JSON as the CLI's --json, bad input refused naming the field."""

import pytest

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import TimelineEntry
from incidentdesk.oncall.models import ContactMethod, EscalationPolicy, Page, PageStatus
from incidentdesk.oncall.page_selectors import page_data, policy_data
from incidentdesk.oncall.paging import page_create
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


@pytest.fixture
def boss_api(api_client, chief):
    return api_client(chief)


def test_a_manager_creates_a_policy_and_reads_it_back(boss_api, crew, primary):
    body = {
        "name": "Ops",
        "repeat": 1,
        "is_default": True,
        "steps": [
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 5},
            {"target": "person", "person": "dee", "wait_minutes": 10},
        ],
    }
    created = boss_api.call("POST", "/escalation-policies", body)
    assert created.status_code == 201, created.json_body
    policy = EscalationPolicy.objects.get(name="Ops")
    assert policy.is_default and policy.repeat == 1
    read = boss_api.call("GET", f"/escalation-policies/{policy.pk}")
    assert read.json_body == created.json_body
    assert [s.get("schedule") or s.get("person") for s in read.json_body["steps"]] == [
        "Primary",
        "dee",
    ]


def test_a_policy_with_an_unknown_person_is_refused_naming_the_step(boss_api, crew):
    body = {"name": "Ops", "steps": [{"target": "person", "person": "nobody"}]}
    response = boss_api.call("POST", "/escalation-policies", body)
    assert response.status_code == 422
    assert response.json_body["field"] == "steps[0].person"
    assert not EscalationPolicy.objects.exists()


def test_a_policy_with_no_steps_is_refused_naming_steps(boss_api):
    response = boss_api.call("POST", "/escalation-policies", {"name": "Ops", "steps": []})
    assert (response.status_code, response.json_body["field"]) == (422, "steps")


def test_a_policy_body_with_an_unknown_field_is_refused_naming_it(boss_api, crew):
    body = {"name": "Ops", "steps": [{"target": "person", "person": "ada"}], "colour": "red"}
    response = boss_api.call("POST", "/escalation-policies", body)
    assert (response.status_code, response.json_body["field"]) == (422, "colour")


def test_patching_a_policy_changes_only_what_is_sent(boss_api, make_policy, crew):
    policy = make_policy([{"target": "person", "person": "ada"}], repeat=2)
    response = boss_api.call(
        "PATCH", f"/escalation-policies/{policy.pk}", {"description": "Nights"}
    )
    assert response.status_code == 200, response.json_body
    assert response.json_body["description"] == "Nights"
    assert response.json_body["repeat"] == 2
    assert response.json_body == policy_data(EscalationPolicy.objects.get(pk=policy.pk))


def test_a_responder_may_read_policies_but_not_write_them(api_client, responder, make_policy, crew):
    policy = make_policy([{"target": "person", "person": "ada"}])
    rita = api_client(responder)
    assert rita.call("GET", "/escalation-policies").json_body[0]["name"] == "Ops"
    response = rita.call("DELETE", f"/escalation-policies/{policy.pk}")
    assert response.status_code == 403
    assert EscalationPolicy.objects.filter(pk=policy.pk).exists()


def test_deleting_a_policy_another_hands_over_to_is_refused_naming_policy(
    boss_api, make_policy, crew
):
    night = make_policy([{"target": "person", "person": "ada"}], name="Night")
    make_policy([{"target": "policy", "policy": "Night"}], name="Day")
    response = boss_api.call("DELETE", f"/escalation-policies/{night.pk}")
    assert (response.status_code, response.json_body["field"]) == (409, "policy")
    assert boss_api.call("DELETE", "/escalation-policies/999999").status_code == 404


def test_paging_a_person_for_an_incident_answers_the_page(api_client, responder, crew, incident):
    response = api_client(responder).call(
        "POST", "/pages", {"target": "ada", "incident": incident.reference, "message": "help"}
    )
    assert response.status_code == 201, response.json_body
    page = Page.objects.get()
    assert response.json_body == page_data(page)
    assert (page.incident, page.source, page.message) == (incident, "api", "help")
    assert page.notices.get().user == crew["ada"]


def test_paging_with_no_target_uses_the_default_policy(
    api_client, responder, make_policy, crew, incident
):
    make_policy([{"target": "person", "person": "bob"}], is_default=True)
    response = api_client(responder).call("POST", "/pages", {"incident": incident.reference})
    assert response.status_code == 201, response.json_body
    assert response.json_body["policy"] == "Ops"
    assert Page.objects.get().notices.get().user == crew["bob"]


def test_paging_with_no_target_and_no_default_policy_names_target(api_client, responder, incident):
    response = api_client(responder).call("POST", "/pages", {"incident": incident.reference})
    assert (response.status_code, response.json_body["field"]) == (422, "target")
    assert not Page.objects.exists()


def test_an_unknown_target_or_incident_is_refused_naming_it(api_client, responder, incident):
    rita = api_client(responder)
    response = rita.call("POST", "/pages", {"target": "nobody"})
    assert (response.status_code, response.json_body["field"]) == (422, "target")
    response = rita.call("POST", "/pages", {"target": "nobody", "incident": "INC-1999-0001"})
    assert response.json_body["field"] in ("incident", "target")
    response = rita.call("POST", "/pages", {"person": "ada", "incident": "INC-1999-0001"})
    assert (response.status_code, response.json_body["field"]) == (404, "incident")
    assert not Page.objects.exists()


def test_a_viewer_may_not_page(client, viewer, crew):
    client.force_login(viewer)
    body = '{"target": "ada", "summary": "x"}'
    response = client.post("/api/v1/pages", body, content_type="application/json")
    assert response.status_code == 403
    assert not Page.objects.exists()


def test_the_paged_person_acknowledges_through_the_api(api_client, responder, crew, incident):
    page = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    ada = api_client(crew["ada"])
    response = ada.call("POST", f"/pages/{page.pk}/acknowledge")
    assert response.status_code == 200, response.json_body
    assert response.json_body["status"] == "acknowledged"
    assert response.json_body["acknowledged_by"] == "ada"
    assert response.json_body["acknowledged_source"] == "api"
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None
    again = ada.call("POST", f"/pages/{page.pk}/acknowledge")
    assert again.json_body["acknowledged_at"] == response.json_body["acknowledged_at"]


def test_cancelling_a_page_records_the_reason(api_client, responder, crew, incident):
    page = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    response = api_client(responder).call(
        "POST", f"/pages/{page.pk}/cancel", {"reason": "false alarm"}
    )
    assert response.status_code == 200, response.json_body
    assert response.json_body["status"] == "cancelled"
    assert "false alarm" in response.json_body["outcome"]
    assert TimelineEntry.objects.filter(incident=incident, data__cancelled=True).exists()


def test_pages_are_listed_by_status(api_client, responder, crew, incident):
    first = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    second = page_create(actor=responder, source=WEB, person="bob", summary="Disk full")
    Page.objects.filter(pk=first.pk).update(status=PageStatus.EXHAUSTED)
    rita = api_client(responder)
    assert [p["id"] for p in rita.call("GET", "/pages").json_body] == [second.pk, first.pk]
    exhausted = rita.call("GET", "/pages?status=exhausted").json_body
    assert [p["id"] for p in exhausted] == [first.pk]
    by_incident = rita.call("GET", f"/pages?incident={incident.reference}").json_body
    assert [p["id"] for p in by_incident] == [first.pk]
    response = rita.call("GET", "/pages?status=lost")
    assert (response.status_code, response.json_body["field"]) == (422, "status")


def test_a_restricted_incidents_pages_are_hidden_from_who_cannot_see_it(
    api_client, responder, declare, crew, make_user
):
    secret = declare(actor=responder, title="Leak", severity="major", restricted=True)
    page = page_create(actor=responder, source=WEB, person="ada", incident=secret)
    outsider = api_client(make_user(Role.RESPONDER, username="out"))
    assert outsider.call("GET", "/pages").json_body == []
    assert outsider.call("GET", f"/pages/{page.pk}").status_code == 404
    assert outsider.call("POST", f"/pages/{page.pk}/cancel", {}).status_code == 404
    assert Page.objects.get(pk=page.pk).status == PageStatus.OPEN
    assert api_client(responder).call("GET", f"/pages/{page.pk}").status_code == 200


def test_someone_adds_orders_and_removes_their_own_contact_methods(api_client, crew):
    ada = api_client(crew["ada"])
    first = ada.call("POST", "/me/contact-methods", {"kind": "email", "address": "a@example.org"})
    assert first.status_code == 201, first.json_body
    second = ada.call(
        "POST",
        "/me/contact-methods",
        {"kind": "sms", "address": "+4915112345678", "label": "phone"},
    )
    assert second.status_code == 201, second.json_body
    moved = ada.call("POST", f"/me/contact-methods/{second.json_body['id']}/move", {"position": 1})
    assert moved.status_code == 200, moved.json_body
    listed = ada.call("GET", "/me/contact-methods").json_body
    assert [m["kind"] for m in listed] == ["sms", "email"]
    gone = ada.call("DELETE", f"/me/contact-methods/{first.json_body['id']}")
    assert gone.status_code == 204
    assert list(ContactMethod.objects.values_list("kind", flat=True)) == ["sms"]


def test_a_bad_contact_address_is_refused_naming_address(api_client, crew):
    response = api_client(crew["ada"]).call(
        "POST", "/me/contact-methods", {"kind": "sms", "address": "call me"}
    )
    assert (response.status_code, response.json_body["field"]) == (422, "address")
    response = api_client(crew["ada"]).call(
        "POST", "/me/contact-methods", {"kind": "pigeon", "address": "x"}
    )
    assert (response.status_code, response.json_body["field"]) == (422, "kind")
    assert not ContactMethod.objects.exists()


def test_nobody_removes_someone_elses_contact_method_through_me(api_client, crew):
    other = UserFactory(username="eve")
    method = ContactMethod.objects.create(
        user=crew["ada"], position=1, kind="email", address="a@example.org"
    )
    response = api_client(other).call("DELETE", f"/me/contact-methods/{method.pk}")
    assert (response.status_code, response.json_body["field"]) == (404, "method")
    assert ContactMethod.objects.filter(pk=method.pk).exists()


def test_a_webhook_contact_method_shows_its_signing_secret_as_the_cli_json_does(
    api_client, crew, settings
):
    settings.WEBHOOKS_ALLOW_PRIVATE = settings.WEBHOOKS_ALLOW_HTTP = True
    from incidentdesk.oncall.page_selectors import contact_method_data

    ada = api_client(crew["ada"])
    added = ada.call(
        "POST", "/me/contact-methods", {"kind": "webhook", "address": "http://127.0.0.1:9/p"}
    )
    assert added.status_code == 201, added.json_body
    ada.call("POST", "/me/contact-methods", {"kind": "email", "address": "a@example.org"})
    listed = ada.call("GET", "/me/contact-methods").json_body
    assert listed == [contact_method_data(m) for m in ContactMethod.objects.order_by("position")]
    assert len(listed[0]["signing_secret"]) == 64 and "signing_secret" not in listed[1]

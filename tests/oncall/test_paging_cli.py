"""The paging commands of the `incidentdesk` CLI: `policy`, `page`, `ack` and `contact`, acting
as --as, printing the API's JSON with --json, and exiting 2 naming the option on bad input."""

import json

import pytest

from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import ContactMethod, EscalationPolicy, Page, PageStatus
from incidentdesk.oncall.page_selectors import contact_method_data, page_data, policy_data
from incidentdesk.oncall.paging import page_create

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def test_a_policy_is_created_from_its_steps_in_order(cli, chief, crew, primary):
    run = cli(
        "policy",
        "create",
        "Ops",
        "--step",
        "schedule:Primary:10",
        "--step",
        "person:dee",
        "--repeat",
        "2",
        "--default",
        "--as",
        "boss",
    )
    assert run.code == 0, run.err
    policy = EscalationPolicy.objects.get(name="Ops")
    assert "is created (the default)" in run.out
    data = policy_data(policy)
    assert [(s["target"], s["wait_minutes"]) for s in data["steps"]] == [
        ("schedule", 10),
        ("person", 5),
    ]
    assert (data["repeat"], data["is_default"]) == (2, True)
    listed = json.loads(cli("policy", "list", "--json", "--as", "boss").out)
    assert listed == [data]
    shown = cli("policy", "show", "Ops", "--as", "boss").out
    assert "on call in Primary (10 min)" in shown and "dee (5 min)" in shown


def test_a_bad_step_is_refused_naming_which_step(cli, chief, crew):
    run = cli(
        "policy", "create", "Ops", "--step", "person:ada", "--step", "person:zed", "--as", "boss"
    )
    assert run.code == 2
    assert run.err.startswith("error: --step[1]:")
    run = cli("policy", "create", "Ops", "--step", "ada", "--as", "boss")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--step[0]")
    run = cli("policy", "create", "Ops", "--as", "boss")
    assert (run.code, "--step" in run.err) == (2, True)
    assert not EscalationPolicy.objects.exists()


def test_a_responder_may_not_delete_a_policy(cli, make_policy, crew, responder):
    make_policy([{"target": "person", "person": "ada"}])
    run = cli("policy", "delete", "Ops", "--as", responder.username)
    assert run.code == 2
    assert EscalationPolicy.objects.exists()
    assert cli("policy", "delete", "Ops", "--as", "boss").code == 0
    assert not EscalationPolicy.objects.exists()


def test_page_pages_a_person_for_an_incident(cli, responder, crew, incident):
    run = cli(
        "page",
        "ada",
        "--incident",
        incident.reference,
        "--message",
        "checkout is down",
        "--json",
        "--as",
        responder.username,
    )
    assert run.code == 0, run.err
    page = Page.objects.get()
    assert json.loads(run.out) == page_data(page)
    assert (page.incident, page.source, page.message) == (incident, "cli", "checkout is down")
    assert page.notices.get().user == crew["ada"]


def test_page_without_a_target_pages_the_default_policy(
    cli, responder, make_policy, crew, incident
):
    make_policy([{"target": "person", "person": "cy"}], name="Lead", is_default=True)
    run = cli("page", "--incident", incident.reference, "--as", responder.username)
    assert run.code == 0, run.err
    assert "the escalation policy Lead" in run.out
    assert Page.objects.get().notices.get().user == crew["cy"]


def test_page_without_a_default_policy_says_to_name_a_target(cli, responder, incident):
    run = cli("page", "--incident", incident.reference, "--as", responder.username)
    assert run.code == 2
    assert run.err.startswith("error: TARGET: there is no default escalation policy")
    assert not Page.objects.exists()


def test_page_for_an_unknown_incident_names_the_option(cli, responder, crew):
    run = cli("page", "ada", "--incident", "INC-1999-0042", "--as", responder.username)
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--incident")
    run = cli("page", "ada", "--as", responder.username)
    assert (run.code, run.err.split(":")[1].strip()) == (2, "--summary")  # about nothing
    assert not Page.objects.exists()


def test_ack_acknowledges_a_page_by_its_id(cli, responder, crew, incident):
    page = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    run = cli("ack", str(page.pk), "--as", "ada")
    assert run.code == 0, run.err
    page.refresh_from_db()
    assert (page.status, page.acknowledged_by, page.acknowledged_source) == (
        PageStatus.ACKNOWLEDGED,
        crew["ada"],
        "cli",
    )
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None


def test_ack_of_an_incident_acknowledges_every_open_page(cli, responder, crew, incident):
    first = page_create(actor=responder, source=WEB, person="ada", incident=incident)
    second = page_create(actor=responder, source=WEB, person="bob", incident=incident)
    run = cli("ack", "--incident", incident.reference, "--json", "--as", responder.username)
    assert run.code == 0, run.err
    assert sorted(p["id"] for p in json.loads(run.out)) == [first.pk, second.pk]
    assert set(Page.objects.values_list("status", flat=True)) == {PageStatus.ACKNOWLEDGED}


def test_ack_needs_a_page_or_an_incident_but_not_both(cli, responder):
    assert cli("ack", "--as", responder.username).code == 2
    run = cli("ack", "1", "--incident", "INC-2026-0001", "--as", responder.username)
    assert (run.code, run.err.split(":")[1].strip()) == (2, "PAGE_ID")
    assert cli("ack", "424242", "--as", responder.username).code == 2


def test_contact_methods_are_added_listed_moved_and_removed(cli, crew):
    assert cli("contact", "add", "email", "ada@example.org", "--as", "ada").code == 0
    run = cli("contact", "add", "sms", "+4915112345678", "--label", "phone", "--as", "ada")
    assert run.code == 0, run.err
    sms = ContactMethod.objects.get(kind="sms")
    assert cli("contact", "move", str(sms.pk), "1", "--as", "ada").code == 0
    listed = json.loads(cli("contact", "list", "--json", "--as", "ada").out)
    assert listed == [contact_method_data(m) for m in ContactMethod.objects.order_by("position")]
    assert [m["kind"] for m in listed] == ["sms", "email"]
    assert cli("contact", "remove", str(sms.pk), "--as", "ada").code == 0
    assert list(ContactMethod.objects.values_list("kind", flat=True)) == ["email"]


def test_a_bad_contact_address_exits_2_naming_it(cli, crew):
    run = cli("contact", "add", "webhook", "not a url", "--as", "ada")
    assert (run.code, run.err.split(":")[1].strip()) == (2, "address")
    assert not ContactMethod.objects.exists()


def test_only_an_admin_manages_someone_elses_contact_methods(cli, crew, admin):
    run = cli("contact", "add", "email", "bob@example.org", "--for", "bob", "--as", "ada")
    assert run.code == 2
    assert cli("contact", "list", "--for", "bob", "--as", "ada").code == 2
    run = cli("contact", "add", "email", "bob@example.org", "--for", "bob", "--as", admin.username)
    assert run.code == 0, run.err
    assert ContactMethod.objects.get().user == crew["bob"]

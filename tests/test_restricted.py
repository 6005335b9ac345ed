"""Restricted incidents: a canary string written into every field of a restricted incident never
reaches anyone who does not take part in it, on any surface (API, pages, CLI, exports,
notifications), while the people taking part, admins and the security group see it."""

import io
import json
import re
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import services as incidents
from incidentdesk.incidents.models import Incident
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.notifications.tasks import fan_out
from incidentdesk.oncall.paging import page_create
from incidentdesk.postmortems import services as postmortems
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.followups import followup_create
from incidentdesk.postmortems.meetings import meeting_schedule
from incidentdesk.postmortems.models import TEXT_KINDS
from incidentdesk.postmortems.present import PUBLIC_LABELS
from incidentdesk.postmortems.review import review_digest_send, went_well_add
from incidentdesk.statuspage import services as statuspage
from tests.openapi import operations

WEB = ActionSource.WEB
CANARY = "qx7CANARYzv"
PART = CANARY[1:-1]  # what a search asks for: finds the canary, but is not it when echoed
OUTSIDERS = ("viewer", "responder", "manager", "desk_member")
INSIDERS = ("lead", "invited_viewer", "admin", "security_member")
PUBLIC_NAME = "Checkout is slow"  # published on purpose: public, unlike the reference


def _text(label: str) -> str:
    return f"{label} {CANARY}"


def _restricted_world(make_user, settings) -> SimpleNamespace:
    """A restricted incident with the canary in every text field, its timeline, actions,
    postmortem, follow-ups, wins, meeting and feedback; an unrestricted one beside it."""
    settings.SECURITY_GROUP = "security"
    people = {
        "lead": make_user(Role.RESPONDER, username="lead", email="lead@example.com"),
        "invited_viewer": make_user(Role.VIEWER, username="guest", email="guest@example.com"),
        "admin": make_user(
            Role.ADMIN, username="root", email="root@example.com", on_responders_desk=True
        ),
        "security_member": make_user(Role.VIEWER, username="sec", email="sec@example.com"),
        "viewer": make_user(Role.VIEWER, username="vera", email="vera@example.com"),
        "responder": make_user(Role.RESPONDER, username="ron", email="ron@example.com"),
        "manager": make_user(Role.MANAGER, username="mia", email="mia@example.com"),
        "desk_member": make_user(
            Role.RESPONDER, username="desk", email="desk@example.com", on_responders_desk=True
        ),
    }
    group = Group.objects.create(name="security")
    people["security_member"].groups.add(group)
    lead = people["lead"]
    incident = incidents.incident_declare(
        actor=lead,
        source=WEB,
        title=_text("Title"),
        severity="major",
        criteria=[],
        criteria_reason=_text("Reason"),
        summary=_text("Summary"),
        impact=_text("Impact"),
        users_affected_description=_text("Who"),
        reported_by=_text("Reporter"),
        restricted=True,
    )
    incidents.role_assign(actor=lead, source=WEB, incident=incident, role="lead", user=lead)
    incidents.incident_invite(
        actor=lead, source=WEB, incident=incident, user=people["invited_viewer"]
    )
    entry = incidents.timeline_entry_add(
        actor=lead, source=WEB, incident=incident, kind="note", body=_text("Note")
    )
    incidents.timeline_entry_edit(actor=lead, source=WEB, entry=entry, body=_text("Edited"))
    incidents.command_run(actor=lead, source=WEB, incident=incident, text=_text("decision"))
    page = page_create(
        actor=lead,
        source=WEB,
        incident=incident,
        person=lead,
        summary=_text("Page"),
        message=_text("Paged"),
    )
    action = incidents.action_item_create(
        actor=lead,
        source=WEB,
        incident=incident,
        title=_text("Action"),
        description=_text("Action text"),
        owner=lead,
        due_date=timezone.localdate() - timedelta(days=3),  # overdue: on the dashboard
    )
    # Published, and left open on the status page when resolved internally.
    publication = statuspage.publication_create(
        actor=lead, source=WEB, incident=incident, name=PUBLIC_NAME, message="Looking into it."
    )
    incident = incidents.incident_resolve(
        actor=lead,
        source=WEB,
        incident=incident,
        message=_text("Resolved"),
        resolve_publicly=False,
    )
    postmortem = postmortems.postmortem_start(actor=lead, source=WEB, incident=incident)
    keys = [s["key"] for s in postmortem.template.sections if s.get("kind") in TEXT_KINDS]
    postmortems.postmortem_edit(
        actor=lead,
        source=WEB,
        postmortem=postmortem,
        sections={key: _text(key) for key in keys},
        five_whys=[{"why": _text("Why"), "because": _text("Because")}],
        **{name: _text(name) for name, _ in PUBLIC_LABELS},
    )
    followup = followup_create(
        actor=lead,
        source=WEB,
        postmortem=postmortem,
        title=_text("Follow-up"),
        owner=lead,
        due_date=timezone.localdate() + timedelta(days=1),
        description=_text("Follow-up text"),
    )
    went_well_add(actor=lead, source=WEB, postmortem=postmortem, text=_text("Went well"))
    meeting_schedule(
        actor=lead,
        source=WEB,
        postmortem=postmortem,
        starts_at=timezone.now() + timedelta(days=2),
        attendees=[lead.username],
        location=_text("Room"),
    )
    feedback_give(
        actor=lead,
        source=WEB,
        postmortem=postmortem,
        response_rating=4,
        postmortem_rating=4,
        improve=_text("Improve"),
    )
    # An earlier, unrestricted incident whose later one credits nothing restricted.
    open_one = incidents.incident_declare(
        actor=lead, source=WEB, title="Search is slow", severity="major", criteria=["security"]
    )
    review_digest_send(force=True)
    for event in OutboxEvent.objects.filter(fanned_out_at__isnull=True):
        fan_out.call_local(event.pk)
    return SimpleNamespace(
        people=people,
        incident=incident,
        open_one=open_one,
        entry=entry,
        action=action,
        followup=followup,
        postmortem=postmortem,
        publication=publication,
        page=page,
    )


@pytest.fixture
def world(make_user, settings):
    return _restricted_world(make_user, settings)


def _values(world) -> dict[str, str]:
    """What fills each {placeholder} of an API path or URL pattern."""
    return {
        "reference": world.incident.reference,
        "entry_id": world.entry.pk,
        "action_id": world.action.pk,
        "key": "major",
        "component_id": 1,
        "public_id": "nothing",
        "role": "lead",
        "person": "guest",
        "pk": 1,
        "user_id": 1,
        "token_id": 1,
        "section": "details",
        "group_id": 1,
        "page_id": world.page.pk,
        "policy_id": 1,
        "method_id": 1,
        "report_id": 1,
        "schedule_id": 1,
        "layer_id": 1,
        "override_id": 1,
        "integration_id": 1,
        "route_id": 1,
        "system_id": 1,
        "disaster_id": 1,
        "proposal_id": 1,
        "step_id": 1,
        "runbook_id": 1,
    }


def _api_get_paths(world) -> list[str]:
    values = _values(world)
    paths = []
    for op in operations():
        if op.method != "get":
            continue
        path = op.url(values)
        query = "?q=" + PART if "q" in op.query_names() else ""
        paths.append(path + query)
        if "format" in op.query_names():
            paths.append(path + "?format=csv")
    return paths


def _page_urls(world) -> list[str]:
    """Every internal page of the URL conf (not /admin/, not the public site's own files),
    with placeholders filled, plus search and exports."""
    values = _values(world)
    urls = []

    def walk(patterns, prefix: str):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                if route.startswith(("admin/", "api/")):
                    continue
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern):
                urls.append(
                    "/"
                    + re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), route)
                )

    walk(get_resolver().url_patterns, "")
    ref = world.incident.reference
    urls += [
        f"/incidents?q={PART}",
        f"/incidents?q={ref}",
        f"/incidents/{ref}/postmortem/export?format=html",
        f"/incidents/{ref}/postmortem/export?format=markdown",
        "/insights/?interval=month",
    ]
    return [u for u in urls if "^" not in u and "(?P" not in u]


def _api_client(api_client, user):
    return api_client(user, scope="read")


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_an_outsider_never_reads_the_canary_through_the_api(world, who, api_client):
    client = _api_client(api_client, world.people[who])
    ref = world.incident.reference
    for path in _api_get_paths(world):
        response = client.call("get", path)
        body = response.content.decode()
        assert CANARY not in body, f"GET {path} showed the canary to the {who}"
        if ref in path.split("?")[0]:
            assert response.status_code == 404, f"GET {path}: {response.status_code}"
            assert response.json_body["detail"] == f"reference: no incident {ref!r}"
    listed = client.call("get", "/incidents").json_body["items"]
    assert [i["reference"] for i in listed] == [world.open_one.reference]


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_an_outsider_never_reads_the_canary_on_any_page(world, who):
    client = Client()
    client.force_login(world.people[who])
    ref = world.incident.reference
    for url in _page_urls(world):
        response = client.get(url)
        body = response.content.decode(errors="replace")
        assert CANARY not in body, f"{url} showed the canary to the {who}"
        if ref not in url:  # a page not asked about it never names or links it
            assert ref not in body, f"{url} showed the reference to the {who}"
        if f"/incidents/{ref}" in url and response.status_code != 405:
            assert response.status_code == 404, f"{url}: {response.status_code}"
    for url in (f"/incidents/{ref}/timeline/add", f"/incidents/{ref}/invite"):
        response = client.post(url, {"kind": "note", "body": "hi", "person": who})
        assert response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS + INSIDERS)
def test_the_status_page_screen_links_a_publication_only_for_those_who_see_it(world, who):
    page = Client()
    page.force_login(world.people[who])
    body = page.get("/statuspage/").content.decode()
    # The publication is public, so everyone finds its public name there; the way to the
    # internal incident is kept for those who may see it.
    assert PUBLIC_NAME in body
    link = f'href="/incidents/{world.incident.reference}#statuspage"'
    if who in OUTSIDERS:
        assert world.incident.reference not in body and link not in body
        assert f'href="/incidents/{world.publication.public_id}"' in body
    else:
        assert link in body


@pytest.mark.django_db
@pytest.mark.parametrize("who", OUTSIDERS)
def test_an_outsider_never_reads_the_canary_through_the_cli(world, who, cli):  # noqa: F811
    ref = world.incident.reference
    handle = world.people[who].username
    runs = [
        ("list", "--json"),
        ("list", "--q", PART),
        ("show", ref, "--timeline", "--json"),
        ("show", ref),
        ("postmortem", "show", ref),
        ("postmortem", "export", ref),
        ("postmortem", "followups", ref, "--json"),
        ("review", "--json"),
        ("review",),
        ("statuspage", "show", ref),
    ]
    for args in runs:
        for as_user in (("--as", handle), ()):
            run = cli(*args, *as_user)
            assert CANARY not in run.out + run.err, f"{args} {as_user} showed the canary"
            if ref in args:
                assert run.code == 2 and "no incident" in run.err
    assert CANARY not in _call("insights", "--csv") + _call("insights", "--json")


def _call(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_notifications_about_a_restricted_incident_reach_nobody_outside_it(world):
    outsiders = {world.people[who].email for who in OUTSIDERS}
    told = set()
    for event in OutboxEvent.objects.all():
        if CANARY in json.dumps(event.payload):
            told |= {address.lower() for address in event.staff_emails}
            # A page goes to the people it names (its audience); its deliveries are checked
            # below like every other's.
            assert not event.to_subscribers or event.topic == "page.notify"
        for delivery in event.deliveries.all():
            if CANARY in json.dumps(event.payload):
                assert delivery.recipient not in outsiders
    assert not told & outsiders
    # The desk announcement went to the desk members who may see it (the admin), not to the
    # others; the unrestricted incident's went to the whole desk.
    announced = {
        e.payload["incident_id"]: set(e.staff_emails)
        for e in OutboxEvent.objects.filter(topic="incident.declared")
    }
    assert announced[world.incident.pk] == {"root@example.com"}
    assert announced[world.open_one.pk] == {"root@example.com", "desk@example.com"}


@pytest.mark.django_db
@pytest.mark.parametrize("who", INSIDERS)
def test_the_people_taking_part_admins_and_the_security_group_see_it(world, who, api_client):
    user = world.people[who]
    ref = world.incident.reference
    client = _api_client(api_client, user)
    response = client.call("get", f"/incidents/{ref}")
    assert response.status_code == 200 and CANARY in response.json_body["title"]
    assert CANARY in client.call("get", f"/incidents/{ref}/timeline").content.decode()
    assert CANARY in client.call("get", f"/incidents/{ref}/postmortem").content.decode()
    listed = client.call("get", f"/incidents?q={PART}").json_body["items"]
    assert [i["reference"] for i in listed] == [ref]
    page = Client()
    page.force_login(user)
    assert CANARY in page.get(f"/incidents/{ref}").content.decode()
    assert CANARY in page.get(f"/incidents/{ref}/postmortem").content.decode()
    assert CANARY in page.get("/incidents").content.decode()
    assert CANARY in page.get("/dashboard").content.decode()
    assert CANARY in _call("show", ref, "--as", user.username)


@pytest.mark.django_db
def test_insights_count_a_restricted_incident_without_showing_it(world, api_client):
    client = _api_client(api_client, world.people["viewer"])
    summary = client.call("get", "/insights/summary").json_body
    assert summary["current"]["incidents"] == 2  # the restricted one is counted
    assert CANARY not in json.dumps(summary)


@pytest.mark.django_db
def test_the_review_counts_restricted_follow_ups_without_their_words(world, api_client):
    outsider = _api_client(api_client, world.people["manager"]).call("get", "/review").json_body
    insider = _api_client(api_client, world.people["lead"]).call("get", "/review").json_body
    assert outsider["totals"] == insider["totals"]
    assert CANARY not in json.dumps(outsider)
    assert CANARY in json.dumps(insider)


@pytest.mark.django_db
def test_a_withdrawn_invitation_takes_the_incident_away(world, api_client):
    guest = world.people["invited_viewer"]
    client = _api_client(api_client, guest)
    ref = world.incident.reference
    assert client.call("get", f"/incidents/{ref}").status_code == 200
    lead = api_client(world.people["lead"])
    response = lead.call("delete", f"/incidents/{ref}/invitations/guest")
    assert response.status_code == 200 and response.json_body["invited"] == []
    assert client.call("get", f"/incidents/{ref}").status_code == 404
    timeline = lead.call("get", f"/incidents/{ref}/timeline").json_body["items"]
    assert timeline[-1]["body"].startswith("guest's invitation was withdrawn") or any(
        "invitation was withdrawn" in e["body"] for e in timeline
    )


@pytest.mark.django_db
def test_a_security_incident_is_always_restricted(declare, responder, api_client):
    incident = declare(security=True)
    assert incident.restricted
    client = api_client(responder)
    response = client.call(
        "patch", f"/incidents/{incident.reference}", {"restricted": False, "summary": "x"}
    )
    assert response.status_code == 422
    assert response.json_body["field"] == "restricted"
    assert Incident.objects.get(pk=incident.pk).restricted


def _invite_via_web(actor, ref, client_factory):
    page = Client()
    page.force_login(actor)
    assert page.post(f"/incidents/{ref}/invite", {"person": "bob"}).status_code == 302


def _invite_via_api(actor, ref, client_factory):
    response = client_factory(actor).call(
        "post", f"/incidents/{ref}/invitations", {"person": "bob"}
    )
    assert response.status_code == 201


def _invite_via_cli(actor, ref, client_factory):
    call_command("invite", ref, "bob", as_user=actor.username, stdout=io.StringIO())


def _invite_via_command(actor, ref, client_factory):
    response = client_factory(actor).call(
        "post", f"/incidents/{ref}/commands", {"text": "invite bob"}
    )
    assert response.status_code == 200, response.json_body


@pytest.mark.django_db
def test_inviting_leaves_the_same_entry_through_every_door(make_user, declare, api_client):
    alice = make_user(Role.RESPONDER, username="alice")
    bob = make_user(Role.VIEWER, username="bob")
    shapes = {}
    doors = {
        "web": _invite_via_web,
        "api": _invite_via_api,
        "cli": _invite_via_cli,
        "command": _invite_via_command,
    }
    for name, door in doors.items():
        incident = declare(actor=alice, restricted=True)
        assert not Incident.objects.visible_to(bob).filter(pk=incident.pk).exists()
        door(alice, incident.reference, api_client)
        entry = incident.timeline.order_by("-id").first()
        shapes[name] = (entry.kind, entry.body, entry.author_id, json.dumps(entry.data))
        assert Incident.objects.visible_to(bob).filter(pk=incident.pk).exists()
    assert len(set(shapes.values())) == 1, shapes


@pytest.mark.django_db
def test_the_incident_page_lists_the_invited_and_withdraws_an_invitation(world):
    page = Client()
    page.force_login(world.people["lead"])
    ref = world.incident.reference
    assert "Invited" in page.get(f"/incidents/{ref}").content.decode()
    response = page.post(f"/incidents/{ref}/uninvite", {"person": "guest"})
    assert response.status_code == 302
    visible = Incident.objects.visible_to(world.people["invited_viewer"])
    assert not visible.filter(pk=world.incident.pk).exists()

"""The routes pages (/alerts/routes, admins): the list in the order routes are tried, a form
with matcher rows, its action, severity, components, paging and policy; editing, deleting,
and moving a route up or down."""

import pytest
from django.test import Client

from incidentdesk.accounts.models import Role
from incidentdesk.alerts.models import Route
from incidentdesk.alerts.routes import route_create, route_move
from incidentdesk.alerts.services import integration_create, integration_revoke
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.oncall.models import EscalationPolicy

pytestmark = pytest.mark.django_db
CLI = ActionSource.CLI
PAGE = "/alerts/routes"


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def form(**fields) -> dict:
    return {
        "name": "",
        "integration": "",
        "action": "record",
        "severity": "",
        "policy": "",
        "matcher_label": ["", ""],
        "matcher_op": ["=", "="],
        "matcher_value": ["", ""],
        **fields,
    }


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER, Role.MANAGER])
def test_only_admins_see_or_write_routes(role, make_user, admin):
    route = route_create(actor=admin, source=CLI, action="record")
    client = client_for(make_user(role, username="someone"))
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE + "/new").status_code == 403
    assert client.post(PAGE + "/new", form(name="x")).status_code == 403
    assert client.post(f"{PAGE}/{route.pk}/delete").status_code == 403
    assert client.post(f"{PAGE}/{route.pk}/move", {"to": "1"}).status_code == 403
    assert list(Route.objects.all()) == [route]


def test_an_admin_creates_a_declaring_paging_route_from_the_form(admin):
    database = component_save(actor=admin, source=CLI, name="Database")
    policy = EscalationPolicy.objects.create(name="database on-call")
    route_create(actor=admin, source=CLI, name="first", action="record")
    response = client_for(admin).post(
        PAGE + "/new",
        form(
            name="disks",
            action="declare",
            severity="major",
            components=[str(database.pk)],
            pages="on",
            policy=str(policy.pk),
            matcher_label=["alertname", "", "team"],
            matcher_op=["=", "=", "=~"],
            matcher_value=["DiskFull", "", "db|storage"],
        ),
    )
    assert response.status_code == 302
    route = Route.objects.get(name="disks")
    assert route.matchers == [
        {"label": "alertname", "op": "=", "value": "DiskFull"},
        {"label": "team", "op": "=~", "value": "db|storage"},
    ]
    assert route.severity.key == "major" and list(route.components.all()) == [database]
    assert route.pages and route.policy == policy and route.author == admin
    assert [r.name for r in Route.objects.all()] == ["first", "disks"]  # added last
    listing = client_for(admin).get(PAGE).content.decode()
    assert "alertname=DiskFull" in listing and "database on-call" in listing


def test_a_bad_matcher_shows_the_form_again_marking_its_row(admin):
    response = client_for(admin).post(
        PAGE + "/new",
        form(
            matcher_label=["alertname", "team"],
            matcher_op=["=", "=~"],
            matcher_value=["DiskFull", "pay("],
        ),
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert 'id="matcher-error"' in html and "Matcher 2:" in html
    assert "not a regular expression" in html
    assert 'value="pay("' in html  # what was typed stays
    assert not Route.objects.exists()


def test_a_paging_route_without_a_default_policy_is_refused_naming_the_policy(admin):
    response = client_for(admin).post(PAGE + "/new", form(pages="on"))
    assert response.status_code == 422
    assert 'id="id_policy_error"' in response.content.decode()
    assert not Route.objects.exists()


def test_more_rows_shows_the_form_again_without_saving(admin):
    response = client_for(admin).post(
        PAGE + "/new", form(more_rows="1", matcher_label=["a", ""], matcher_value=["b", ""])
    )
    assert response.status_code == 200
    assert response.content.decode().count('name="matcher_label"') == 4
    assert not Route.objects.exists()


def test_editing_a_route_keeps_its_matchers_in_the_form_and_makes_the_editor_its_author(
    admin, make_user
):
    other = make_user(Role.ADMIN, username="otto")
    route = route_create(
        actor=admin,
        source=CLI,
        name="disks",
        action="record",
        matchers=[{"label": "alertname", "op": "!=", "value": "Watchdog"}],
    )
    page = client_for(other).get(f"{PAGE}/{route.pk}").content.decode()
    assert 'value="Watchdog"' in page and '<option value="!=" selected>' in page
    response = client_for(other).post(
        f"{PAGE}/{route.pk}",
        form(name="disks", matcher_label=["alertname"], matcher_op=["="], matcher_value=["Disk"]),
    )
    assert response.status_code == 302
    route.refresh_from_db()
    assert route.matchers == [{"label": "alertname", "op": "=", "value": "Disk"}]
    assert route.author == other
    assert client_for(other).get(f"{PAGE}/999").status_code == 404


def test_moving_a_route_changes_the_order_they_are_tried_in(admin):
    a, b, c = (route_create(actor=admin, source=CLI, name=n, action="record") for n in "abc")
    client = client_for(admin)
    assert client.post(f"{PAGE}/{c.pk}/move", {"to": "0"}).status_code == 302
    assert [r.name for r in Route.objects.all()] == ["c", "a", "b"]
    client.post(f"{PAGE}/{c.pk}/move", {"to": "1"})
    assert [r.name for r in Route.objects.all()] == ["a", "c", "b"]
    assert [r.position for r in Route.objects.all()] == [10, 20, 30]
    page = client.get(PAGE).content.decode()
    assert page.index(">a<") < page.index(">c<") < page.index(">b<")
    with pytest.raises(ValidationError) as refused:
        route_move(actor=admin, source=CLI, route_id=a.pk, to=-1)
    assert refused.value.field == "to"


def test_deleting_a_route_from_the_page(admin):
    route = route_create(actor=admin, source=CLI, name="gone", action="record")
    client = client_for(admin)
    assert "Delete the route gone?" in client.get(f"{PAGE}/{route.pk}/delete").content.decode()
    assert Route.objects.exists()
    assert client.post(f"{PAGE}/{route.pk}/delete").status_code == 302
    assert not Route.objects.exists()
    assert "The route is deleted." in client.get(PAGE).content.decode()


def test_admins_find_alerts_in_the_menu_and_the_tabs(admin, viewer):
    assert 'href="/alerts/"' in client_for(viewer).get("/dashboard").content.decode()
    tabs = client_for(admin).get("/alerts/").content.decode()
    assert 'href="/alerts/integrations"' in tabs and 'href="/alerts/routes"' in tabs
    assert 'href="/alerts/routes"' not in client_for(viewer).get("/alerts/").content.decode()


def test_a_route_of_a_revoked_integration_keeps_it_when_edited(admin):
    made, _ = integration_create(actor=admin, source=CLI, kind="alertmanager", name="old")
    route = route_create(actor=admin, source=CLI, name="r", action="record", integration=made.pk)
    integration_revoke(actor=admin, source=CLI, integration_id=made.pk)
    client = client_for(admin)
    page = client.get(f"{PAGE}/{route.pk}").content.decode()
    assert f'<option value="{made.pk}" selected>old (alertmanager, revoked)</option>' in page
    fresh = client.get(PAGE + "/new").content.decode()
    assert "old (alertmanager" not in fresh
    response = client.post(f"{PAGE}/{route.pk}", form(name="renamed", integration=str(made.pk)))
    assert response.status_code == 302
    route.refresh_from_db()
    assert route.name == "renamed" and route.integration == made

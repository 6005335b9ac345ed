from datetime import date

import pytest
from django.urls import reverse

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, IncidentStatus
from incidentdesk.incidents.services import action_item_create, role_assign
from tests.factories import ComponentFactory, IncidentFactory, severity

pytestmark = pytest.mark.django_db


def test_dashboard_lists_open_incidents_my_roles_and_overdue_actions(client, declare, responder):
    incident = declare(title="Payments are slow")
    role_assign(
        actor=responder, source=ActionSource.WEB, incident=incident, role="lead", user=responder
    )
    action_item_create(
        actor=responder,
        source=ActionSource.WEB,
        incident=incident,
        title="Add a payments alert",
        owner=responder,
        due_date=date(2020, 1, 1),
    )
    IncidentFactory(title="Old and done", status=IncidentStatus.CLOSED)
    client.force_login(responder)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Payments are slow" in body
    assert "Old and done" not in body
    assert [a.incident for a in response.context["my_roles"]] == [incident]
    assert "Add a payments alert" in body
    assert "Declare incident" in body


def test_dashboard_orders_open_incidents_by_severity(client, responder):
    IncidentFactory(title="Minor thing", severity=severity("trivial"))
    IncidentFactory(title="Everything is down", severity=severity("critical"))
    client.force_login(responder)
    body = client.get(reverse("dashboard")).content.decode()
    assert body.index("Everything is down") < body.index("Minor thing")


def test_viewer_sees_no_declare_button(client, viewer):
    client.force_login(viewer)
    assert b"Declare incident" not in client.get(reverse("dashboard")).content


def test_list_searches_titles_and_references(client, responder):
    IncidentFactory(title="Search is down")
    IncidentFactory(title="Login loops")
    client.force_login(responder)
    response = client.get(reverse("incident_list"), {"q": "login"})
    titles = [i.title for i in response.context["page"].object_list]
    assert titles == ["Login loops"]


def test_list_filters_by_status_severity_component_and_kind(client, responder):
    db = ComponentFactory(name="Database")
    hit = IncidentFactory(title="Replica lag", severity=severity("critical"))
    hit.components.add(db)
    IncidentFactory(title="Replica lag, resolved", severity=severity("critical"), status="resolved")
    IncidentFactory(title="Other", severity=severity("trivial"))
    client.force_login(responder)
    response = client.get(
        reverse("incident_list"),
        {"status": "open", "severity": "critical", "component": "database", "kind": "live"},
    )
    assert [i.title for i in response.context["page"].object_list] == ["Replica lag"]


def test_list_paginates_by_25_and_keeps_filters_in_page_links(client, responder):
    for n in range(30):
        IncidentFactory(title=f"Flaky job {n}")
    client.force_login(responder)
    response = client.get(reverse("incident_list"), {"q": "flaky", "status": "open"})
    page = response.context["page"]
    assert len(page.object_list) == 25
    assert page.paginator.num_pages == 2
    assert 'href="?q=flaky&amp;status=open&amp;page=2"' in response.content.decode()
    second = client.get(reverse("incident_list"), {"q": "flaky", "status": "open", "page": 2})
    assert len(second.context["page"].object_list) == 5


def test_list_answers_htmx_with_the_results_only(client, responder):
    IncidentFactory(title="Partial only")
    client.force_login(responder)
    response = client.get(reverse("incident_list"), HTTP_HX_REQUEST="true")
    body = response.content.decode()
    assert "Partial only" in body
    assert "<html" not in body


def test_list_page_queries_do_not_grow_with_incidents(
    client, responder, django_assert_max_num_queries
):
    db = ComponentFactory(name="Database")
    for n in range(25):
        incident = IncidentFactory(title=f"Incident {n}")
        incident.components.add(db)
        role_assign(
            actor=responder, source=ActionSource.WEB, incident=incident, role="lead", user=responder
        )
    client.force_login(responder)
    with django_assert_max_num_queries(11):  # 10, and the live version
        response = client.get(reverse("incident_list"))
    assert len(response.context["page"].object_list) == 25
    assert Incident.objects.count() == 25

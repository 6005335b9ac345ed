import re

from django.test import Client

from tests.insights.conftest import MARCH


def test_the_page_renders_with_no_data(client, viewer):
    client.force_login(viewer)
    response = client.get("/insights/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "No incidents in this period." in body
    assert "<svg" in body and "<title" in body and "Data table" in body


def test_the_page_renders_charts_and_figures_with_data(client, viewer, incident_at):
    incident_at(ttd=10, ttf=20, detection="reactive")
    client.force_login(viewer)
    response = client.get(f"/insights/?{MARCH}&interval=month")
    body = response.content.decode()
    assert response.status_code == 200
    assert "Incidents per month by severity" in body
    assert "30 minutes" in body  # time to recover, mean/median/p90
    assert "Incidents by detection" in body and "reactive" in body


def test_the_page_explains_a_bad_filter(client, viewer):
    client.force_login(viewer)
    response = client.get("/insights/?since=2026-99-01")
    assert response.status_code == 422
    assert "since: " in response.content.decode()


def test_the_page_explains_a_range_too_long_for_weeks(client, viewer):
    client.force_login(viewer)
    response = client.get("/insights/?since=1990-01-01&interval=week")
    assert response.status_code == 422 and "choose a shorter range or per month" in (
        response.content.decode()
    )
    assert client.get("/insights/?since=2000-01-01&interval=month").status_code == 200


def test_the_page_needs_sign_in(db):
    response = Client().get("/insights/")
    assert response.status_code == 302


def test_a_breakdown_row_links_to_the_page_narrowed_to_it(client, viewer, incident_at):
    from incidentdesk.incidents.models import Component

    api = Component.objects.create(name="API")
    incident_at(ttd=10).components.add(api)
    incident_at(ttd=20)
    client.force_login(viewer)
    body = client.get(f"/insights/?{MARCH}&interval=month").content.decode()
    link = "?since=2026-03-01&amp;until=2026-03-31&amp;interval=month&amp;component=API"
    assert f'<a href="{link}">API</a>' in body
    assert '<th scope="row">no component</th>' in body  # a row with no value is no filter
    response = client.get("/insights/" + link.replace("&amp;", "&"))
    narrowed = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<strong>1</strong> incident\s", narrowed)

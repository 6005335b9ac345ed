"""The Insights charts: scalable pictures with axes, units and words, and users affected counted
the same way on the page, in the API, in CSV and on /metrics (unknown never counted as zero)."""

import csv
import io
import re

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from incidentdesk.insights import svg
from tests.insights.conftest import MARCH


@pytest.fixture
def reader(api_client, viewer):
    return api_client(viewer, scope="read")


def charts_in(body: str) -> list[str]:
    return re.findall(r'<svg [^>]*class="chart".*?</svg>', body, re.S)


def _page(client, viewer, query=MARCH):
    client.force_login(viewer)
    response = client.get(f"/insights/?{query}")
    assert response.status_code == 200
    return response.content.decode()


def _three(incident_at):
    incident_at(severity="critical", users_affected_count=1200)
    incident_at(severity="critical", users_affected_count=300)
    incident_at(severity="major")  # no number: unknown, not zero


def test_nice_ticks_are_round_numbers_from_zero_past_the_top():
    assert svg.nice_ticks(3) == [0, 1, 2, 3]
    assert svg.nice_ticks(4600) == [0, 2000, 4000, 6000]
    assert svg.nice_ticks(0) == [0, 1]
    assert svg.nice_ticks(0.7, whole=False) == [0, 0.2, 0.4, 0.6, 0.8]


def test_every_chart_scales_with_a_title_a_description_and_axis_titles(client, viewer, incident_at):
    _three(incident_at)
    body = _page(client, viewer)
    charts = charts_in(body)
    assert len(charts) >= 9
    for chart in charts:
        assert 'viewBox="0 0 400 ' in chart and 'width="100%"' in chart
        assert not re.search(r"<svg[^>]* (height|width)=\"\d+(px)?\"", chart)  # no fixed size
        assert "<title " in chart and "<desc " in chart
        assert 'class="axis-title"' in chart


def test_no_chart_holds_a_link_the_links_are_in_its_table(client, viewer, incident_at):
    _three(incident_at)
    body = _page(client, viewer)
    for chart in charts_in(body):
        assert "<a " not in chart
    assert '<a href="?since=2026-03-01&amp;until=2026-03-31&amp;interval=week&amp;severity=' in body


def test_the_page_says_users_affected_and_how_many_incidents_gave_no_number(
    client, viewer, incident_at
):
    _three(incident_at)
    body = _page(client, viewer)
    said = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", body.split('id="users-affected">')[1]))
    assert said.startswith(
        "1,500 users affected, counted over the 2 incidents that give a number; "
        "1 incident gave no number (unknown, not counted as zero)."
    )
    assert "Users affected per week" in body and "Users affected by severity" in body
    assert "1 incident gave no number of users affected: not counted (not as zero)." in body


def test_a_severity_whose_incidents_give_no_number_shows_unknown_not_zero(
    client, viewer, incident_at
):
    _three(incident_at)
    body = _page(client, viewer)
    chart = body.split('id="chart-users-by-severity"')[1].split("</figure>")[0]
    assert "critical: 1,500; major: unknown." in chart


def test_the_api_and_csv_give_the_figures_the_page_shows(reader, incident_at):
    _three(incident_at)
    summary = reader.call("GET", f"/insights/summary?{MARCH}").json()
    assert summary["current"]["users_affected"] == {"count": 1500, "known": 2, "unknown": 1}
    series = reader.call("GET", f"/insights/timeseries?{MARCH}").json()
    assert sum(b["users_affected"]["count"] for b in series["buckets"]) == 1500
    assert sum(b["users_affected"]["unknown"] for b in series["buckets"]) == 1
    by = reader.call("GET", f"/insights/breakdown?{MARCH}&by=severity").json()
    per = {r["key"]: r["users_affected"] for r in by["rows"]}
    assert per == {
        "critical": {"count": 1500, "known": 2, "unknown": 0},
        "major": {"count": 0, "known": 0, "unknown": 1},
    }
    text = reader.call("GET", f"/insights/breakdown?{MARCH}&by=severity&format=csv").content
    rows = {r["severity"]: r for r in csv.DictReader(io.StringIO(text.decode()))}
    assert (rows["critical"]["users_affected"], rows["major"]["users_affected_unknown"]) == (
        "1500",
        "1",
    )


def test_users_affected_are_counted_once_in_each_component(reader, incident_at, admin):
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services import catalog

    for name in ("API", "Web"):
        catalog.component_save(actor=admin, source=ActionSource.WEB, name=name)
    incident_at(users_affected_count=10, components=["API", "Web"])
    by = reader.call("GET", f"/insights/breakdown?{MARCH}&by=component").json()
    assert {r["key"]: r["users_affected"]["count"] for r in by["rows"]} == {"API": 10, "Web": 10}
    summary = reader.call("GET", f"/insights/summary?{MARCH}").json()
    assert summary["current"]["users_affected"]["count"] == 10


def test_metrics_give_users_affected_and_the_unknown_by_severity(settings, incident_at):
    settings.METRICS_TOKEN = "s3cret-token"
    incident_at(severity="critical", users_affected_count=1200)
    incident_at(severity="critical")
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    users = {s.labels["severity"]: s.value for s in families["incidentdesk_users_affected"].samples}
    unknown = families["incidentdesk_incidents_users_affected_unknown"].samples
    assert users["critical"] == 1200 and users["major"] == 0
    assert {s.labels["severity"]: s.value for s in unknown}["critical"] == 1

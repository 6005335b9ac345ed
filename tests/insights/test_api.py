import csv
import io

import pytest
from django.test import Client

from tests.insights.conftest import MARCH


@pytest.fixture
def reader(api_client, viewer):
    return api_client(viewer, scope="read")


def test_summary_answers_json_with_counts_behind_each_figure(reader, incident_at):
    incident_at(ttd=10, ttf=20)
    response = reader.call("GET", f"/insights/summary?{MARCH}")
    assert response.status_code == 200
    ttf = response.json_body["current"]["durations"]["ttf"]
    assert ttf == {
        "count": 1,
        "unknown": 0,
        "mean": {"seconds": 1200, "text": "20 minutes"},
        "median": {"seconds": 1200, "text": "20 minutes"},
        "p90": {"seconds": 1200, "text": "20 minutes"},
    }


def test_summary_as_csv_with_the_format_parameter(reader, incident_at):
    incident_at(ttd=10)
    response = reader.call("GET", f"/insights/summary?{MARCH}&format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [r["period"] for r in rows] == ["current", "previous"]
    assert rows[0]["incidents"] == "1"
    assert rows[0]["ttd_median_seconds"] == "600"
    assert rows[0]["ttf_median_seconds"] == ""  # unknown is empty, never zero
    assert rows[1]["incidents"] == "0"


def test_breakdown_as_csv_with_an_accept_header(reader, incident_at):
    incident_at(ttd=10, severity="critical")
    response = reader.get(f"/api/v1/insights/breakdown?{MARCH}&by=severity", HTTP_ACCEPT="text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["severity", "incidents", "ttd_count"]
    assert rows[1][:3] == ["critical", "1", "1"]


def test_timeseries_per_month_as_json(reader, incident_at):
    incident_at(ttd=10)
    response = reader.call("GET", f"/insights/timeseries?{MARCH}&interval=month")
    assert response.status_code == 200
    assert [b["incidents"] for b in response.json_body["buckets"]] == [1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("/insights/summary?since=2026-02-30", "since"),
        ("/insights/summary?until=soon", "until"),
        ("/insights/summary?severity=sev9", "severity"),
        ("/insights/summary?format=xml", "format"),
        ("/insights/timeseries?interval=day", "interval"),
        ("/insights/breakdown?by=colour", "by"),
        ("/insights/summary?since=0001-01-01", "since"),
        ("/insights/summary?until=9999-12-31", "until"),
        ("/insights/summary?taxonomy=NOT_A_TERM", "taxonomy"),
        ("/insights/timeseries?since=1980-01-01&interval=week", "interval"),
    ],
)
def test_bad_filters_are_a_422_naming_the_field(reader, query, field):
    response = reader.call("GET", query)
    assert response.status_code == 422
    assert response.json_body["field"] == field
    assert response.json_body["detail"].startswith(f"{field}: ")


def test_insights_api_needs_authentication(db):
    assert Client().get("/api/v1/insights/summary").status_code == 401

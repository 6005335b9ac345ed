import csv
import io
import json
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.insights.conftest import DAY

MARCH = "since=2026-03-01&until=2026-03-31"


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


# /metrics


def _scrape(client, token):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


# An account exists in these tests: before the first one, FirstRunMiddleware sends every path
# outside its exempt list (which lacks /metrics) to /setup.


def test_metrics_are_not_found_when_no_token_is_set(viewer, settings):
    settings.METRICS_TOKEN = ""
    assert _scrape(Client(), "anything").status_code == 404


def test_metrics_refuse_a_missing_or_wrong_token(viewer, settings):
    settings.METRICS_TOKEN = "s3cret-token"
    assert Client().get("/metrics").status_code == 401
    response = _scrape(Client(), "wrong")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_metrics_report_open_incidents_durations_and_actions(settings, incident_at, action_on):
    settings.METRICS_TOKEN = "s3cret-token"
    incident_at(ttd=10, ttf=20, severity="critical")
    second = incident_at(ttd=None, severity="major")
    action_on(second, status="open", due=DAY.date())
    action_on(second, status="done")
    response = _scrape(Client(), "s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    open_by = {
        s.labels["severity"]: s.value for s in families["incidentdesk_open_incidents"].samples
    }
    assert open_by["critical"] == 1 and open_by["major"] == 1 and open_by["trivial"] == 0
    ttf = {
        (s.name, s.labels.get("le")): s.value
        for s in families["incidentdesk_time_to_fix_seconds"].samples
    }
    assert ttf[("incidentdesk_time_to_fix_seconds_count", None)] == 1
    assert ttf[("incidentdesk_time_to_fix_seconds_sum", None)] == pytest.approx(1200, abs=1)
    assert ttf[("incidentdesk_time_to_fix_seconds_bucket", "900.0")] == 0
    assert ttf[("incidentdesk_time_to_fix_seconds_bucket", "1800.0")] == 1
    assert families["incidentdesk_open_actions"].samples[0].value == 1
    assert families["incidentdesk_overdue_actions"].samples[0].value == 1


# the page


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


# the CLI


def test_cli_prints_json_with_the_api_shape(incident_at, capsys):
    incident_at(ttd=10)
    call_command("insights", "--since", "2026-03-01", "--until", "2026-03-31", "--json")
    data = json.loads(capsys.readouterr().out)
    assert data["current"]["durations"]["ttd"]["median"]["text"] == "10 minutes"


def test_cli_prints_a_table_and_csv(incident_at, capsys):
    incident_at(ttd=90)
    call_command("insights", "--since", "2026-03-01", "--until", "2026-03-31")
    out = capsys.readouterr().out
    assert "time to detect" in out and "1.5 hours" in out
    call_command(
        "insights", "--since", "2026-03-01", "--until", "2026-03-31", "--by", "severity", "--csv"
    )
    assert capsys.readouterr().out.splitlines()[1].startswith("major,1,")


def test_cli_refuses_a_bad_date_naming_the_field(db):
    with pytest.raises(CommandError, match=r"^since: 'March' is not a date") as caught:
        call_command("insights", "--since", "March")
    assert caught.value.returncode == 2


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

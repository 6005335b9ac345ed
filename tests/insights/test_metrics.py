import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from tests.insights.conftest import DAY


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

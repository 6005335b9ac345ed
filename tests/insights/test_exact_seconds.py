"""Measured times are whole seconds computed exactly in the database (SQLite and PostgreSQL
alike), histogram bucket edges are inclusive, and figures are written by DESIGN.md §3."""

from datetime import timedelta

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from incidentdesk.incidents.models import Incident
from incidentdesk.insights import selectors
from incidentdesk.insights.filters import parse_filters
from tests.insights.conftest import DAY

MARCH = parse_filters(since="2026-03-01", until="2026-03-31")


@pytest.fixture
def measured(declare):
    """An incident started `start` after DAY, detected `ttd` later (timestamps set exactly)."""

    def make(ttd: timedelta, start: timedelta = timedelta(0)):
        incident = declare()
        started = DAY + start
        Incident.objects.filter(pk=incident.pk).update(
            declared_at=started, started_at=started, detected_at=started + ttd, resolved_at=None
        )
        return incident

    return make


def scrape(settings) -> dict:
    settings.METRICS_TOKEN = "s3cret-token"
    response = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    return {
        (s.name, s.labels.get("le")): s.value
        for s in families["incidentdesk_time_to_detect_seconds"].samples
    }


def test_an_hour_is_3600_seconds_and_counts_in_the_3600_bucket(settings, measured, viewer):
    # julianday() differences of these start times came out 3599.99999 and 3600.00003 s.
    for hour in range(4):
        measured(timedelta(hours=1), start=timedelta(hours=hour))
    ttd = scrape(settings)
    assert ttd[("incidentdesk_time_to_detect_seconds_bucket", "1800.0")] == 0
    assert ttd[("incidentdesk_time_to_detect_seconds_bucket", "3600.0")] == 4
    assert ttd[("incidentdesk_time_to_detect_seconds_sum", None)] == 4 * 3600
    figures = selectors.summary(MARCH)["current"]["durations"]["ttd"]
    for name in ("mean", "median", "p90"):
        assert figures[name] == {"seconds": 3600, "text": "1 hour"}


@pytest.mark.parametrize("edge", [60, 300, 86400, 2592000])
def test_a_time_equal_to_a_bucket_edge_counts_in_that_bucket(settings, measured, viewer, edge):
    measured(timedelta(seconds=edge), start=timedelta(hours=1))
    measured(timedelta(seconds=edge + 1), start=timedelta(hours=2))
    ttd = scrape(settings)
    assert ttd[("incidentdesk_time_to_detect_seconds_bucket", f"{float(edge)}")] == 1
    assert ttd[("incidentdesk_time_to_detect_seconds_count", None)] == 2


def test_fractions_of_a_second_are_cut_from_each_timestamp_alike_on_both_databases(measured):
    # 12:00:00.7 to 13:00:00.2 (3599.5 s) and 12:00:03.2 to 13:00:03.1 (3599.9 s): cut to
    # whole seconds, each is 3600.
    measured(timedelta(minutes=59, seconds=59, microseconds=500_000), start=timedelta(0, 0.7))
    measured(timedelta(minutes=59, seconds=59, microseconds=900_000), start=timedelta(0, 3.2))
    figures = selectors.summary(MARCH)["current"]["durations"]["ttd"]
    assert figures["mean"]["seconds"] == 3600
    assert figures["median"] == {"seconds": 3600, "text": "1 hour"}


def test_a_figure_under_an_hour_is_written_in_minutes_even_when_it_rounds_to_60(measured):
    measured(timedelta(minutes=59, seconds=59))
    figures = selectors.summary(MARCH)["current"]["durations"]["ttd"]
    assert figures["median"] == {"seconds": 3599, "text": "60 minutes"}
    measured(timedelta(hours=1), start=timedelta(hours=1))
    # The mean is 3599.5 s: still under an hour.
    mean = selectors.summary(MARCH)["current"]["durations"]["ttd"]["mean"]
    assert mean["text"] == "60 minutes"


def test_sqlite_without_unixepoch_computes_the_same_seconds(
    settings, measured, viewer, monkeypatch
):
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's fallback for versions before 3.38")
    monkeypatch.setattr(connection.Database, "sqlite_version_info", (3, 37, 2))
    for hour in range(4):
        measured(timedelta(hours=1, microseconds=hour * 250_000), start=timedelta(hours=hour))
    ttd = scrape(settings)
    assert ttd[("incidentdesk_time_to_detect_seconds_bucket", "3600.0")] == 4
    assert ttd[("incidentdesk_time_to_detect_seconds_sum", None)] == 4 * 3600
    figures = selectors.summary(MARCH)["current"]["durations"]["ttd"]
    assert figures["mean"] == {"seconds": 3600, "text": "1 hour"}

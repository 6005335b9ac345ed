from datetime import date, timedelta

import pytest
from django.apps import apps

from incidentdesk.core.errors import ValidationError
from incidentdesk.incidents.models import Component
from incidentdesk.insights import selectors
from incidentdesk.insights.filters import parse_filters
from tests.insights.conftest import DAY, days_ago

MARCH = {"since": "2026-03-01", "until": "2026-03-31"}


def _march(**extra):
    return parse_filters(**MARCH, **extra)


def test_mean_median_and_p90_match_hand_computed_values(incident_at):
    for minutes in (10, 20, 30, 40, 100):
        incident_at(ttd=5, ttf=minutes)
    ttf = selectors.summary(_march())["current"]["durations"]["ttf"]
    assert ttf["count"] == 5
    assert ttf["mean"] == {"seconds": 2400, "text": "40 minutes"}
    assert ttf["median"] == {"seconds": 1800, "text": "30 minutes"}
    # percentile_cont: position 1 + 0.9 * 4 = 4.6, so 40 + 0.6 * (100 - 40) = 76 minutes.
    assert ttf["p90"] == {"seconds": 4560, "text": "1.3 hours"}


def test_median_of_an_even_count_interpolates_between_the_middle_two(incident_at):
    for minutes in (10, 20, 30, 40):
        incident_at(ttd=minutes)
    ttd = selectors.summary(_march())["current"]["durations"]["ttd"]
    assert ttd["median"]["seconds"] == 25 * 60
    assert ttd["p90"]["seconds"] == 37 * 60  # 30 + 0.7 * 10


def test_time_to_recover_is_resolved_minus_started(incident_at):
    incident_at(ttd=30, ttf=60)
    ttr = selectors.summary(_march())["current"]["durations"]["ttr"]
    assert ttr["median"] == {"seconds": 5400, "text": "1.5 hours"}


def test_missing_timestamps_are_counted_as_unknown_never_zero(incident_at):
    incident_at(ttd=10, ttf=20)
    incident_at(ttd=None)
    incident_at(ttd=30)
    durations = selectors.summary(_march())["current"]["durations"]
    assert (durations["ttd"]["count"], durations["ttd"]["unknown"]) == (2, 1)
    assert durations["ttd"]["median"]["seconds"] == 20 * 60
    assert (durations["ttf"]["count"], durations["ttf"]["unknown"]) == (1, 2)
    assert durations["ttf"]["mean"]["seconds"] == 20 * 60


def test_a_period_with_no_known_durations_writes_unknown(incident_at):
    incident_at(ttd=None)
    ttr = selectors.summary(_march())["current"]["durations"]["ttr"]
    assert ttr["count"] == 0
    assert ttr["unknown"] == 1
    assert ttr["median"] == {"seconds": None, "text": "unknown"}


def test_a_negative_duration_is_counted_as_unknown(incident_at):
    incident_at(ttd=-30)
    incident_at(ttd=10)
    ttd = selectors.summary(_march())["current"]["durations"]["ttd"]
    assert (ttd["count"], ttd["unknown"], ttd["mean"]["seconds"]) == (1, 1, 600)


def test_date_range_keeps_only_incidents_declared_in_it(incident_at):
    incident_at(ttd=10)
    incident_at(declared=DAY + timedelta(days=40), ttd=10)
    assert selectors.summary(_march())["current"]["incidents"] == 1


def test_severity_filter(incident_at):
    incident_at(ttd=10, severity="critical")
    incident_at(ttd=50, severity="major")
    current = selectors.summary(_march(severity="critical"))["current"]
    assert current["incidents"] == 1
    assert current["by_severity"]["critical"] == 1
    assert current["durations"]["ttd"]["median"]["seconds"] == 600


def test_component_filter_counts_an_incident_once(incident_at):
    api = Component.objects.create(name="API")
    web = Component.objects.create(name="Web")
    incident_at(ttd=10).components.add(api, web)
    incident_at(ttd=20).components.add(web)
    assert selectors.summary(_march(component="api"))["current"]["incidents"] == 1
    assert selectors.summary(_march(component="Web"))["current"]["incidents"] == 2


@pytest.mark.parametrize(
    ("field", "value"),
    [("since", "2026-13-01"), ("until", "yesterday"), ("severity", "sev9"), ("component", "x")],
)
def test_bad_filters_are_refused_naming_the_field(db, field, value):
    with pytest.raises(ValidationError) as caught:
        parse_filters(**{field: value})
    assert caught.value.field == field


def test_since_after_until_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        parse_filters(since="2026-04-01", until="2026-03-01")
    assert caught.value.field == "since"


def test_the_previous_period_has_the_same_length_just_before(incident_at):
    incident_at(ttd=10)
    incident_at(declared=DAY - timedelta(days=31), ttd=30)
    incident_at(declared=DAY - timedelta(days=31), ttd=50)
    data = selectors.summary(_march())
    assert (data["previous"]["since"], data["previous"]["until"]) == ("2026-01-29", "2026-02-28")
    assert data["previous"]["incidents"] == 2
    assert data["previous"]["durations"]["ttd"]["median"]["seconds"] == 40 * 60
    assert data["change"]["incidents"] == {"delta": -1, "percent": -50.0}
    assert data["change"]["ttd_median_seconds"]["delta"] == -30 * 60


def test_timeseries_counts_by_severity_per_week_with_empty_weeks(incident_at):
    incident_at(ttd=10, severity="critical")
    incident_at(ttd=30, severity="major")
    data = selectors.timeseries(_march(), "week")
    starts = [b["start"] for b in data["buckets"]]
    assert starts[0] == "2026-02-23" and "2026-03-30" in starts
    week = next(b for b in data["buckets"] if b["start"] == "2026-03-09")
    assert week["incidents"] == 2
    assert week["by_severity"]["critical"] == 1
    assert week["durations"]["ttd"]["median"]["seconds"] == 20 * 60
    empty = next(b for b in data["buckets"] if b["start"] == "2026-03-16")
    assert empty["incidents"] == 0
    assert empty["durations"]["ttd"]["median"]["text"] == "unknown"


def test_timeseries_per_month(incident_at):
    incident_at(ttd=10)
    data = selectors.timeseries(parse_filters(since="2026-01-15", until="2026-03-31"), "month")
    assert [b["start"] for b in data["buckets"]] == ["2026-01-01", "2026-02-01", "2026-03-01"]
    assert [b["incidents"] for b in data["buckets"]] == [0, 0, 1]


def test_breakdown_by_detection_and_component(incident_at):
    api = Component.objects.create(name="API")
    incident_at(ttd=10, detection="reactive").components.add(api)
    incident_at(ttd=20, detection="proactive")
    incident_at(ttd=40, detection="reactive")
    rows = {r["key"]: r for r in selectors.breakdown(_march(), "detection")["rows"]}
    assert rows["reactive"]["incidents"] == 2
    assert rows["reactive"]["durations"]["ttd"]["median"]["seconds"] == 25 * 60
    assert rows["proactive"]["incidents"] == 1
    components = {
        r["key"]: r["incidents"] for r in selectors.breakdown(_march(), "component")["rows"]
    }
    assert components == {"API": 1, "none": 2}


def test_an_unknown_breakdown_is_refused(db):
    with pytest.raises(ValidationError) as caught:
        selectors.breakdown(_march(), "colour")
    assert caught.value.field == "by"


def test_action_follow_through_counts_done_pending_overdue_and_wont_do(incident_at, action_on):
    incident = incident_at(declared=DAY)
    action_on(incident, status="done")
    action_on(incident, status="open", due=days_ago(-5))
    action_on(incident, status="in_progress", due=days_ago(3))
    action_on(incident, status="wont_do")
    action_on(incident_at(declared=DAY - timedelta(days=100)), status="open")
    actions = selectors.summary(_march())["current"]["actions"]
    assert actions == {"total": 4, "done": 1, "pending": 1, "overdue": 1, "wont_do": 1}


needs_postmortems = pytest.mark.skipif(
    not apps.is_installed("incidentdesk.postmortems"), reason="postmortems app not installed"
)


def _postmortem(incident, term):
    from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate

    template = PostmortemTemplate.objects.first()
    if template is None:
        pytest.skip("no postmortem template to attach to")
    return Postmortem.objects.create(incident=incident, template=template, taxonomy_principal=term)


@needs_postmortems
def test_breakdown_and_filter_by_taxonomy_term(incident_at):
    _postmortem(incident_at(ttd=10), "MISSING_ALERT")
    _postmortem(incident_at(ttd=30), "MISSING_ALERT")
    _postmortem(incident_at(ttd=50), "DATA_QUALITY")
    incident_at(ttd=70)
    rows = {r["key"]: r for r in selectors.breakdown(_march(), "taxonomy")["rows"]}
    assert rows["MISSING_ALERT"]["incidents"] == 2
    assert rows["MISSING_ALERT"]["durations"]["ttd"]["median"]["seconds"] == 20 * 60
    assert rows["none"]["incidents"] == 1
    filtered = selectors.summary(_march(taxonomy="missing_alert"))["current"]
    assert filtered["incidents"] == 2


@needs_postmortems
def test_the_taxonomy_filter_finds_a_term_anywhere_in_the_tree(incident_at):
    deep = _postmortem(incident_at(ttd=10), "MISSING_ALERT")
    deep.taxonomy_tree = "MISSING_ALERT < DATA_QUALITY < MISSING_TEST"
    deep.save()
    _postmortem(incident_at(ttd=20), "MISSING_TEST")
    _postmortem(incident_at(ttd=30), "DATA_QUALITY")
    assert selectors.summary(_march(taxonomy="missing_test"))["current"]["incidents"] == 2
    assert selectors.summary(_march(taxonomy="DATA_QUALITY"))["current"]["incidents"] == 2


@needs_postmortems
def test_an_unknown_taxonomy_term_is_refused_with_the_known_ones(db):
    with pytest.raises(ValidationError) as caught:
        _march(taxonomy="BLAME")
    assert caught.value.field == "taxonomy" and "MISSING_ALERT" in caught.value.message


def test_filters_default_to_the_last_90_days(db):
    filters = parse_filters()
    assert filters.days == 90
    assert isinstance(filters.until, date)


def test_the_pages_single_scan_gives_the_same_figures_as_each_question_alone(incident_at):
    api = Component.objects.create(name="API")
    for minutes, severity, detection in [
        (10, "critical", "reactive"),
        (25, "major", "proactive"),
        (40, "major", "reactive"),
        (70, "critical", ""),
        (5, "major", "reactive"),
    ]:
        incident = incident_at(ttd=minutes, ttf=2 * minutes, severity=severity, detection=detection)
        if minutes > 20:
            incident.components.add(api)
    incident_at(declared=DAY - timedelta(days=40), ttd=15, ttf=30)  # previous period
    filters = _march()
    together = selectors.overview(filters, "week", metrics=("ttd", "ttf", "ttr"))
    assert together["summary"] == selectors.summary(filters)
    assert together["timeseries"] == selectors.timeseries(filters, "week")
    for by, rows in together["breakdowns"].items():
        assert rows == selectors.breakdown(filters, by), by

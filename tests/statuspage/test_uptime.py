"""The 90-day bars: day colours, downtime weights and the uptime percentage."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.statuspage import uptime
from incidentdesk.statuspage.models import ComponentDay
from incidentdesk.statuspage.services import component_status_change
from tests.factories import ComponentFactory

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
LONG_AGO = NOW - timedelta(days=400)
DAY = 86_400


def bar(stored=None, open_span=None, tracked_from=LONG_AGO, now=NOW):
    return uptime.build_bar(
        tracked_from=tracked_from, now=now, zone=UTC, stored=stored or {}, open_span=open_span
    )


def test_a_quiet_component_has_ninety_green_days_and_full_uptime():
    result = bar()
    assert len(result.days) == 90
    assert result.days[-1].date == date(2026, 3, 10)
    assert {d.level for d in result.days} == {"operational"}
    assert result.percent == 100
    assert result.percent_text == "100 % uptime".removesuffix(" uptime")


def test_today_counts_only_the_hours_that_have_passed():
    assert bar().days[-1].observed == 12 * 3600


def test_a_day_shows_its_worst_status():
    result = bar({date(2026, 3, 1): {"degraded_performance": 600, "major_outage": 60}})
    day = next(d for d in result.days if d.date == date(2026, 3, 1))
    assert day.level == "major_outage"
    assert "Major outage 1 min" in day.label
    assert "Degraded performance 10 min" in day.label


def test_major_outage_counts_fully_and_partial_outage_at_thirty_percent():
    full = bar({date(2026, 3, 1): {"major_outage": 3600}})
    partial = bar({date(2026, 3, 1): {"partial_outage": 3600}})
    observed = 89 * DAY + 12 * 3600
    assert full.days[-10].downtime == 3600
    assert partial.days[-10].downtime == pytest.approx(1080)
    assert full.percent == pytest.approx(100 * (1 - 3600 / observed), abs=0.01)
    assert partial.percent == pytest.approx(100 * (1 - 1080 / observed), abs=0.01)


def test_degraded_performance_and_maintenance_are_not_downtime():
    result = bar({date(2026, 3, 1): {"degraded_performance": 7200, "under_maintenance": 7200}})
    assert result.percent == 100
    assert [d.level for d in result.days if d.date == date(2026, 3, 1)] == ["degraded_performance"]


def test_a_single_bad_minute_never_rounds_up_to_one_hundred_percent():
    assert bar({date(2026, 3, 1): {"major_outage": 60}}).percent < 100


def test_days_before_the_component_existed_have_no_data_and_do_not_count():
    result = bar(tracked_from=NOW - timedelta(days=2, hours=12))
    levels = [d.level for d in result.days]
    assert levels[:87] == ["nodata"] * 87
    assert levels[87:] == ["operational"] * 3
    assert result.days[0].label.endswith("No data")
    assert result.percent == 100


def test_the_open_span_counts_up_to_now_across_midnight():
    since = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)
    incident = {"id": "abc", "name": "API errors"}
    result = bar(open_span=("major_outage", since, incident))
    yesterday, today = result.days[-2], result.days[-1]
    assert yesterday.seconds["major_outage"] == 2 * 3600
    assert today.seconds["major_outage"] == 12 * 3600
    assert today.incidents == [incident]
    assert "Incidents: API errors" in today.label


def test_an_open_operational_span_adds_nothing():
    result = bar(open_span=("operational", NOW - timedelta(days=3), None))
    assert result.percent == 100


def test_a_group_day_is_its_worst_childs_day():
    first = bar({date(2026, 3, 1): {"partial_outage": 3600}})
    second = bar(
        {date(2026, 3, 1): {"major_outage": 600}, date(2026, 3, 2): {"degraded_performance": 60}}
    )
    group = uptime.worst_of([first, second])
    by_date = {d.date: d for d in group.days}
    assert by_date[date(2026, 3, 1)].level == "major_outage"
    assert by_date[date(2026, 3, 2)].level == "degraded_performance"
    # The worst child's downtime, not the sum: 0.3 × 3600 = 1080 beats 600.
    assert by_date[date(2026, 3, 1)].downtime == pytest.approx(1080)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 min"), (30, "< 1 min"), (60, "1 min"), (3600, "1 h"), (3900, "1 h 5 min")],
)
def test_spans_are_written_in_hours_and_minutes(seconds, text):
    assert uptime.format_span(seconds) == text


statuses = st.sampled_from(list(uptime.DAY_COLUMNS))
rows = st.dictionaries(
    st.integers(min_value=0, max_value=95).map(lambda n: date(2026, 3, 10) - timedelta(days=n)),
    st.dictionaries(statuses, st.integers(min_value=0, max_value=2 * DAY)),
    max_size=20,
)


@given(rows)
def test_uptime_is_always_between_zero_and_one_hundred(stored):
    result = bar(stored)
    assert 0 <= result.percent <= 100
    assert all(0 <= d.downtime <= d.observed for d in result.days)


@given(rows, rows)
def test_more_downtime_never_raises_uptime(stored, extra):
    merged = {day: dict(values) for day, values in stored.items()}
    for day, values in extra.items():
        for status, seconds in values.items():
            merged.setdefault(day, {})[status] = merged.get(day, {}).get(status, 0) + seconds
    assert bar(merged).percent <= bar(stored).percent


@given(st.lists(rows, min_size=1, max_size=4))
def test_a_group_is_never_better_than_its_worst_child(children):
    bars = [bar(stored) for stored in children]
    group = uptime.worst_of(bars)
    assert group.percent <= min(b.percent for b in bars)
    for index, day in enumerate(group.days):
        worst = max(uptime.LEVELS.index(b.days[index].level) for b in bars)
        assert uptime.LEVELS.index(day.level) == worst


@pytest.mark.django_db
def test_bars_come_from_stored_days_plus_the_open_span(manager):
    component = ComponentFactory(name="API")
    Component.objects.filter(pk=component.pk).update(created_at=timezone.now() - timedelta(days=30))
    component.refresh_from_db()
    ComponentDay.objects.create(
        component=component,
        date=timezone.localdate() - timedelta(days=5),
        major_outage_seconds=1800,
        incidents=[{"id": "old", "name": "Earlier outage"}],
    )
    component_status_change(
        actor=manager, source=ActionSource.WEB, component=component, status="partial_outage"
    )
    later = timezone.now() + timedelta(minutes=10)
    result = uptime.component_bars([component], now=later)[component.pk]
    assert result.days[-1].level == "partial_outage"
    assert any(d.incidents == [{"id": "old", "name": "Earlier outage"}] for d in result.days)
    assert result.percent < 100
    # Ten minutes of partial outage, split over two days when they cross midnight.
    open_span = sum(d.seconds.get("partial_outage", 0) for d in result.days[-2:])
    assert open_span == pytest.approx(600, abs=2)

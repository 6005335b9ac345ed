"""Disasters and drills in insights: measured apart (how many; per system the recovery time
against its RTO and the data lost against its RPO), and drills kept out of every incident
figure, on the page and in the API and its CSV (/metrics: test_disaster_metrics.py)."""

import csv
import io

from incidentdesk.insights import selectors
from incidentdesk.insights.filters import parse_filters
from tests.insights.conftest import MARCH


def _march():
    return parse_filters(since="2026-03-01", until="2026-03-31")


def test_an_incident_whose_disaster_is_a_drill_is_left_out_of_every_incident_figure(
    incident_at, disaster_on
):
    incident_at(ttd=10, ttf=20, severity="major")
    real = incident_at(ttd=10, ttf=50, severity="major")
    disaster_on(real, {"Billing": (90, 5)})
    drill = incident_at(ttd=100, ttf=200, severity="critical")
    disaster_on(drill, {"Billing": (30, 5)}, drill=True)

    summary = selectors.summary(_march())
    assert summary["current"]["incidents"] == 2
    assert summary["current"]["by_severity"]["critical"] == 0
    ttr = summary["current"]["durations"]["ttr"]
    assert ttr["count"] == 2 and ttr["median"]["seconds"] == 45 * 60  # 30 and 60 minutes
    series = selectors.timeseries(_march(), "month")
    assert sum(b["incidents"] for b in series["buckets"]) == 2
    severity = selectors.breakdown(_march(), "severity")
    assert {r["key"]: r["incidents"] for r in severity["rows"]} == {"major": 2}


def test_the_drill_s_action_items_are_left_out_of_the_follow_through(
    incident_at, disaster_on, action_on
):
    drill = incident_at(ttd=10, ttf=20)
    disaster_on(drill, {"Billing": (30, 5)}, drill=True)
    action_on(drill, status="open")
    action_on(incident_at(ttd=10, ttf=20), status="done")
    actions = selectors.summary(_march())["current"]["actions"]
    assert actions["total"] == 1 and actions["done"] == 1


def test_disasters_and_drills_are_measured_apart_per_system_against_its_objectives(
    incident_at, disaster_on
):
    # Billing: RTO 1 hour, RPO 15 minutes. Search: RTO 4 hours, RPO 1 day.
    disaster_on(incident_at(ttd=5), {"Billing": (45, 10), "Search": (300, None)})
    disaster_on(incident_at(ttd=5), {"Billing": (90, 30)})
    disaster_on(incident_at(ttd=5), {"Billing": (None, None)})
    disaster_on(incident_at(ttd=5), {"Billing": (20, 0)}, drill=True)  # nothing lost
    incident_at(ttd=5)  # an incident that never became a disaster

    data = selectors.disasters(_march())
    assert data["disasters"]["count"] == 3 and data["drills"]["count"] == 1
    rows = {r["system"]: r for r in data["disasters"]["systems"]}
    billing = rows["Billing"]
    assert billing["affected"] == 3
    assert billing["rto"] == {"seconds": 3600, "text": "1 hour"}
    assert billing["recovery_time"] == {
        "count": 2,
        "unknown": 1,  # not restored: no figure, never zero
        "median": {"seconds": int(67.5 * 60), "text": "1.1 hours"},
        "worst": {"seconds": 90 * 60, "text": "1.5 hours"},
        "met": 1,
        "missed": 1,
    }
    assert billing["data_lost"]["count"] == 2 and billing["data_lost"]["unknown"] == 1
    assert (billing["data_lost"]["met"], billing["data_lost"]["missed"]) == (1, 1)
    assert billing["data_lost"]["worst"]["text"] == "30 minutes"
    search = rows["Search"]
    assert (search["recovery_time"]["met"], search["recovery_time"]["missed"]) == (0, 1)
    assert search["data_lost"]["count"] == 0 and search["data_lost"]["median"]["text"] == "unknown"
    [drill_row] = data["drills"]["systems"]
    assert drill_row["system"] == "Billing" and drill_row["affected"] == 1
    assert drill_row["recovery_time"]["median"]["text"] == "20 minutes"
    assert drill_row["data_lost"]["count"] == 1 and drill_row["data_lost"]["met"] == 1
    assert drill_row["data_lost"]["worst"] == {"seconds": 0, "text": "0 minutes"}


def test_disasters_follow_the_period_and_the_filters(incident_at, disaster_on, systems):
    disaster_on(incident_at(ttd=5, severity="critical"), {"Billing": (45, 10)})
    disaster_on(incident_at(ttd=5, severity="major"), {"Search": (45, 10)}, drill=True)
    critical = selectors.disasters(
        parse_filters(since="2026-03-01", until="2026-03-31", severity="critical")
    )
    assert critical["disasters"]["count"] == 1 and critical["drills"]["count"] == 0
    april = selectors.disasters(parse_filters(since="2026-04-01", until="2026-04-30"))
    assert april["disasters"] == {"count": 0, "systems": []}


def test_the_api_answers_the_disasters_as_json_and_csv(
    api_client, viewer, incident_at, disaster_on
):
    reader = api_client(viewer, scope="read")
    disaster_on(incident_at(ttd=5), {"Billing": (90, 30)})
    disaster_on(incident_at(ttd=5), {"Billing": (20, None)}, drill=True)
    response = reader.call("GET", f"/insights/disasters?{MARCH}")
    assert response.status_code == 200
    body = response.json_body
    assert body["disasters"]["count"] == 1 and body["drills"]["count"] == 1
    assert body["disasters"]["systems"][0]["recovery_time"]["missed"] == 1

    response = reader.call("GET", f"/insights/disasters?{MARCH}&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [(r["kind"], r["system"]) for r in rows] == [
        ("disasters", "Billing"),
        ("drills", "Billing"),
    ]
    assert (
        rows[0]["recovery_time_worst_seconds"] == "5400" and rows[0]["recovery_time_missed"] == "1"
    )
    assert rows[1]["data_lost_median_seconds"] == ""  # unknown is empty, never zero

    bad = reader.call("GET", "/insights/disasters?since=2026-02-30")
    assert bad.status_code == 422 and bad.json_body["field"] == "since"


def test_the_page_shows_disasters_and_drills_in_their_own_tables(
    client, viewer, incident_at, disaster_on
):
    disaster_on(incident_at(ttd=5), {"Billing": (90, 30)})
    disaster_on(incident_at(ttd=5), {"Search": (20, 5)}, drill=True)
    client.force_login(viewer)
    body = client.get(f"/insights/?{MARCH}").content.decode()
    assert "Disasters and drills" in body
    disasters = body[body.index('id="disasters-table"') : body.index('id="drills-table"')]
    drills = body[body.index('id="drills-table"') :]
    assert "Billing" in disasters and "1.5 hours" in disasters and "Search" not in disasters
    assert "Search" in drills and "20 minutes" in drills
    assert "<strong>1</strong> incident" in body  # the drill's incident is not counted

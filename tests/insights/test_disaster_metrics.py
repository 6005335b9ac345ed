"""/metrics on disasters: how many (drills apart), the systems they hold down, each system's
latest recovery beside its objectives; and drills left out of the incident figures."""

from datetime import timedelta

from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from incidentdesk.recovery.models import SystemState

TOKEN = "s3cret-token"


def _families(settings) -> dict:
    settings.METRICS_TOKEN = TOKEN
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {f.name: f for f in text_string_to_metric_families(response.content.decode())}


def _samples(family, *labels) -> dict:
    return {tuple(s.labels[k] for k in labels): s.value for s in family.samples}


def test_metrics_count_disasters_and_drills_and_the_systems_they_hold_down(
    settings, incident_at, disaster_on
):
    disaster_on(incident_at(ttd=5), {"Billing": (None, None)}, state=SystemState.READ_ONLY)
    disaster_on(incident_at(ttd=5), {"Search": (None, None)}, drill=True)
    disaster_on(incident_at(ttd=5), {"Search": (None, None)}, resumed=True)  # over: not down
    families = _families(settings)
    declared = families["incidentdesk_disasters"]
    assert declared.type == "counter"
    assert _samples(declared, "drill") == {("false",): 2, ("true",): 1}
    assert _samples(families["incidentdesk_open_disasters"], "drill") == {
        ("false",): 1,
        ("true",): 1,
    }
    down = _samples(families["incidentdesk_systems_down"], "system", "state", "drill")
    assert down == {("Billing", "read_only", "false"): 1, ("Search", "restoring", "true"): 1}


def test_metrics_give_each_system_s_latest_recovery_beside_its_objectives(
    settings, incident_at, disaster_on
):
    disaster_on(incident_at(ttd=5, declared=incident_at().declared_at), {"Billing": (90, 30)})
    later = incident_at(ttd=5)
    later.started_at += timedelta(days=1)
    later.save(update_fields=["started_at"])
    disaster_on(later, {"Billing": (45, None)})
    disaster_on(incident_at(ttd=5), {"Billing": (20, 2)}, drill=True)
    families = _families(settings)
    assert _samples(families["incidentdesk_system_rto_seconds"], "system") == {
        ("Billing",): 3600,
        ("Search",): 14400,
    }
    assert _samples(families["incidentdesk_system_rpo_seconds"], "system")[("Billing",)] == 900
    recovery = _samples(families["incidentdesk_system_recovery_seconds"], "system", "drill")
    assert recovery == {("Billing", "false"): 45 * 60, ("Billing", "true"): 20 * 60}
    lost = _samples(families["incidentdesk_system_data_lost_seconds"], "system", "drill")
    assert lost == {("Billing", "true"): 120}  # the latest real restore recorded no point


def test_metrics_leave_drills_out_of_the_incident_figures(settings, incident_at, disaster_on):
    disaster_on(incident_at(ttd=10, ttf=20, severity="critical"), {"Billing": (30, 5)}, drill=True)
    families = _families(settings)
    assert _samples(families["incidentdesk_open_incidents"], "severity")[("critical",)] == 0
    ttr = {s.name: s.value for s in families["incidentdesk_time_to_recover_seconds"].samples}
    assert ttr["incidentdesk_time_to_recover_seconds_count"] == 0

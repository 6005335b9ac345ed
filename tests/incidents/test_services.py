"""Incident use cases: declaring, changing fields and moving through the lifecycle."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import (
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import (
    Incident,
    IncidentRole,
    RoleAssignment,
    TimelineEntry,
)
from incidentdesk.incidents.services import (
    incident_close,
    incident_declare,
    incident_resolve,
    incident_set_status,
    incident_update,
)
from tests.factories import ComponentFactory

WEB = ActionSource.WEB


def ago(**kwargs):
    return timezone.now() - timedelta(**kwargs)


# -- declare -----------------------------------------------------------------------------------


def test_declaring_gives_the_next_reference_of_the_year(declare):
    year = timezone.now().year
    assert declare().reference == f"INC-{year}-0001"
    second = declare()
    assert second.reference == f"INC-{year}-0002"
    assert (second.year, second.number) == (year, 2)


def test_declaring_makes_the_declarer_the_reporter(declare, responder):
    incident = declare()
    reporter = RoleAssignment.objects.get(incident=incident, role=IncidentRole.REPORTER)
    assert reporter.user == responder
    assert reporter.ended_at is None
    assert incident.created_by == responder


def test_declaring_records_a_declared_entry_with_actor_and_source(responder):
    incident = incident_declare(
        actor=responder,
        source=ActionSource.CLI,
        title="Login broken",
        severity="critical",
        criteria=["immediate_response"],
    )
    entry = TimelineEntry.objects.get(incident=incident)
    assert entry.kind == "event"
    assert entry.author == responder
    assert entry.source == "cli"
    assert entry.data["event"] == "declared"
    assert "Login broken" in entry.body


def test_a_live_incident_starts_investigating_and_detected_now(declare):
    before = timezone.now()
    incident = declare()
    assert incident.status == "investigating"
    assert incident.kind == "live"
    assert before <= incident.detected_at <= timezone.now()
    assert before <= incident.declared_at <= timezone.now()


def test_a_live_incident_keeps_a_given_detection_time(declare):
    detected = ago(minutes=20)
    incident = declare(started_at=ago(minutes=30), detected_at=detected)
    assert incident.detected_at == detected


def test_a_live_incident_cannot_be_declared_resolved(declare):
    with pytest.raises(ValidationError) as caught:
        declare(resolved_at=ago(minutes=1))
    assert caught.value.field == "resolved_at"
    assert not Incident.objects.exists()


def test_a_retrospective_incident_is_created_resolved_with_its_times(declare):
    started, resolved = ago(days=3), ago(days=2)
    incident = declare(kind="retrospective", started_at=started, resolved_at=resolved)
    assert incident.status == "resolved"
    assert (incident.started_at, incident.resolved_at) == (started, resolved)
    assert incident.detected_at == started  # unknown detection defaults to the start
    assert TimelineEntry.objects.get(incident=incident).body.startswith("Reported after the fact")


@pytest.mark.parametrize("missing", ["started_at", "resolved_at"])
def test_a_retrospective_incident_needs_its_start_and_resolution(declare, missing):
    times = {"started_at": ago(days=3), "resolved_at": ago(days=2)}
    del times[missing]
    with pytest.raises(ValidationError) as caught:
        declare(kind="retrospective", **times)
    assert caught.value.field == missing
    assert not Incident.objects.exists()


def test_unknown_kind_is_refused(declare):
    with pytest.raises(ValidationError, match="unknown kind") as caught:
        declare(kind="hypothetical")
    assert caught.value.field == "kind"


def test_components_are_named_case_insensitively_or_by_id(declare):
    api, db = ComponentFactory(name="API"), ComponentFactory(name="Database")
    incident = declare(components=["api", str(db.pk), "API"])
    assert set(incident.components.all()) == {api, db}


def test_an_unknown_component_is_refused_and_nothing_is_saved(declare):
    with pytest.raises(NotFound) as caught:
        declare(components=["Nope"])
    assert caught.value.field == "components"
    assert not Incident.objects.exists()


def test_declaring_needs_a_criterion_or_a_reason(declare):
    with pytest.raises(ValidationError) as caught:
        declare(criteria=[])
    assert caught.value.field == "criteria"
    assert not Incident.objects.exists()


def test_a_reason_alone_is_enough_to_declare(declare):
    incident = declare(criteria=[], criteria_reason="a key customer is blocked")
    assert incident.criteria == []
    assert incident.criteria_reason == "a key customer is blocked"


def test_an_unknown_criterion_is_refused(declare):
    with pytest.raises(ValidationError, match="unknown criterion"):
        declare(criteria=["gut_feeling"])


def test_an_unknown_severity_is_refused(declare):
    with pytest.raises(ValidationError) as caught:
        declare(severity="apocalyptic")
    assert caught.value.field == "severity"
    assert not Incident.objects.exists()


@pytest.mark.parametrize("spelling", ["Critical", "SEV-1", "1", "p1"])
def test_severity_is_taken_in_any_usual_spelling(declare, spelling):
    assert declare(severity=spelling).severity.key == "critical"


def test_a_title_over_200_characters_is_refused(declare):
    with pytest.raises(ValidationError) as caught:
        declare(title="x" * 201)
    assert caught.value.field == "title"
    assert not Incident.objects.exists()


def test_a_bad_url_is_refused(declare):
    with pytest.raises(ValidationError) as caught:
        declare(tracker_url="javascript:alert(1)")
    assert caught.value.field == "tracker_url"


def test_a_viewer_cannot_declare(declare, viewer):
    with pytest.raises(PermissionDenied):
        declare(actor=viewer)
    assert not Incident.objects.exists()


# -- update ------------------------------------------------------------------------------------


def test_a_field_change_is_recorded_with_old_and_new_values(declare, manager):
    incident = declare(summary="Payments fail")
    incident_update(
        actor=manager, source=ActionSource.API, incident=incident, changes={"summary": "All fail"}
    )
    entry = TimelineEntry.objects.get(incident=incident, kind="field_change")
    assert entry.data["changes"] == {"summary": ["Payments fail", "All fail"]}
    assert "Payments fail → All fail" in entry.body
    assert (entry.author, entry.source) == (manager, "api")


def test_changing_severity_records_the_keys(declare, responder):
    incident = declare(severity="major")
    incident = incident_update(
        actor=responder, source=WEB, incident=incident, changes={"severity": "sev1"}
    )
    assert incident.severity.key == "critical"
    entry = TimelineEntry.objects.get(incident=incident, kind="field_change")
    assert entry.data["changes"]["severity"] == ["major", "critical"]


def test_an_update_that_changes_nothing_records_nothing(declare, responder):
    incident = declare(summary="same")
    incident_update(actor=responder, source=WEB, incident=incident, changes={"summary": "same"})
    assert not TimelineEntry.objects.filter(kind="field_change").exists()


def test_correcting_a_timestamp_is_audited(declare, responder):
    incident = declare()
    started = ago(hours=2)
    incident_update(actor=responder, source=WEB, incident=incident, changes={"started_at": started})
    incident.refresh_from_db()
    assert incident.started_at == started
    entry = TimelineEntry.objects.get(incident=incident, kind="field_change")
    assert entry.data["changes"]["started_at"] == [None, started.isoformat()]


def test_a_timestamp_correction_out_of_order_is_refused_and_nothing_saved(declare, responder):
    incident = declare(started_at=ago(hours=2), detected_at=ago(hours=1))
    with pytest.raises(ValidationError) as caught:
        incident_update(
            actor=responder,
            source=WEB,
            incident=incident,
            changes={"summary": "new", "detected_at": ago(hours=3)},
        )
    assert caught.value.field == "detected_at"
    fresh = Incident.objects.get(pk=incident.pk)
    assert fresh.detected_at == incident.detected_at
    assert fresh.summary == ""
    assert not TimelineEntry.objects.filter(kind="field_change").exists()


def test_status_cannot_be_changed_as_a_field(declare, responder):
    with pytest.raises(ValidationError) as caught:
        incident_update(
            actor=responder, source=WEB, incident=declare(), changes={"status": "resolved"}
        )
    assert caught.value.field == "status"


def test_an_unknown_field_is_refused(declare, responder):
    with pytest.raises(ValidationError) as caught:
        incident_update(actor=responder, source=WEB, incident=declare(), changes={"colour": "red"})
    assert caught.value.field == "colour"


def test_criteria_cannot_be_emptied_without_a_reason(declare, responder):
    incident = declare()
    with pytest.raises(ValidationError) as caught:
        incident_update(actor=responder, source=WEB, incident=incident, changes={"criteria": []})
    assert caught.value.field == "criteria"


def test_components_can_be_replaced(declare, responder):
    old, new = ComponentFactory(name="Web"), ComponentFactory(name="Jobs")
    incident = declare(components=["Web"])
    incident_update(
        actor=responder, source=WEB, incident=incident, changes={"components": ["jobs"]}
    )
    assert list(incident.components.all()) == [new]
    entry = TimelineEntry.objects.get(incident=incident, kind="field_change")
    assert entry.data["changes"]["components"] == [[old.name], [new.name]]


# -- status ------------------------------------------------------------------------------------


def status(incident, actor, target, **kwargs):
    return incident_set_status(actor=actor, source=WEB, incident=incident, status=target, **kwargs)


def test_monitoring_sets_mitigated_at(declare, responder):
    incident = status(declare(), responder, "monitoring")
    assert incident.mitigated_at is not None
    assert incident.resolved_at is None


def test_resolving_sets_resolved_at_and_pins_the_entry(declare, responder):
    incident = incident_resolve(actor=responder, source=WEB, incident=declare(), message="Fixed")
    assert incident.status == "resolved"
    assert incident.resolved_at is not None and incident.mitigated_at is not None
    entry = TimelineEntry.objects.get(incident=incident, kind="status_change")
    assert entry.pinned
    assert entry.data == {
        "from": "investigating",
        "to": "resolved",
        "reason": "",
        "message": "Fixed",
    }


def test_reopening_clears_resolved_at_and_keeps_the_reason(declare, responder):
    incident = incident_resolve(actor=responder, source=WEB, incident=declare())
    incident = status(incident, responder, "investigating", reason="errors are back")
    assert incident.status == "investigating"
    assert incident.resolved_at is None
    assert incident.status_reason == "errors are back"


def test_reopening_without_a_reason_is_refused(declare, responder):
    incident = incident_resolve(actor=responder, source=WEB, incident=declare())
    with pytest.raises(ValidationError) as caught:
        status(incident, responder, "investigating")
    assert caught.value.field == "reason"
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_blocking_keeps_the_reason_and_the_date(declare, responder):
    until = timezone.localdate() + timedelta(days=3)
    incident = status(declare(), responder, "blocked", reason="vendor fix", blocked_until=until)
    assert (incident.status, incident.status_reason, incident.blocked_until) == (
        "blocked",
        "vendor fix",
        until,
    )


def test_unblocking_clears_the_blocked_date(declare, responder):
    until = timezone.localdate() + timedelta(days=3)
    incident = status(declare(), responder, "blocked", reason="vendor", blocked_until=until)
    assert status(incident, responder, "investigating").blocked_until is None


def test_an_invalid_transition_is_refused_and_recorded_nowhere(declare, responder):
    incident = declare()
    with pytest.raises(InvalidTransition) as caught:
        status(incident, responder, "closed")
    assert "allowed from investigating" in caught.value.message
    assert not TimelineEntry.objects.filter(kind="status_change").exists()


def test_closing_needs_a_published_postmortem_where_the_severity_requires_one(declare, manager):
    incident = incident_resolve(actor=manager, source=WEB, incident=declare(severity="major"))
    with pytest.raises(InvalidTransition) as caught:
        incident_close(actor=manager, source=WEB, incident=incident)
    assert "postmortem" in caught.value.message and "Major" in caught.value.message
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_closing_a_trivial_incident_records_the_waiver(declare, manager):
    incident = incident_resolve(actor=manager, source=WEB, incident=declare(severity="trivial"))
    incident = incident_close(actor=manager, source=WEB, incident=incident)
    assert incident.status == "closed"
    assert incident.closed_at is not None
    assert "not required" in incident.postmortem_waiver_reason


def test_a_given_waiver_reason_is_kept_and_shown_by_the_api(declare, manager, api_client):
    incident = incident_resolve(actor=manager, source=WEB, incident=declare(severity="trivial"))
    incident = incident_close(actor=manager, source=WEB, incident=incident, reason="typo only")
    assert incident.postmortem_waiver_reason == "typo only"
    shown = api_client(manager).call("GET", f"/incidents/{incident.reference}").json_body
    assert shown["postmortem_waiver_reason"] == "typo only"


def test_closing_needs_a_manager(declare, responder):
    incident = incident_resolve(actor=responder, source=WEB, incident=declare(severity="trivial"))
    with pytest.raises(PermissionDenied, match="manager"):
        incident_close(actor=responder, source=WEB, incident=incident)
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_a_closed_incident_cannot_be_changed(declare, manager):
    incident = incident_resolve(actor=manager, source=WEB, incident=declare(severity="trivial"))
    incident = incident_close(actor=manager, source=WEB, incident=incident)
    with pytest.raises(InvalidTransition):
        incident_update(actor=manager, source=WEB, incident=incident, changes={"summary": "x"})
    with pytest.raises(InvalidTransition, match="final"):
        status(incident, manager, "investigating", reason="again")


def test_a_corrected_time_reads_as_minutes_on_the_timeline_and_exactly_in_its_data(
    declare, responder
):
    from datetime import UTC, datetime

    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services import incident_update

    incident = declare(detected_at=datetime(2026, 1, 5, 9, 30, 15, 123456, tzinfo=UTC))
    started = datetime(2026, 1, 5, 9, 12, tzinfo=UTC)
    incident_update(
        actor=responder, source=ActionSource.API, incident=incident, changes={"started_at": started}
    )
    entry = incident.timeline.get(kind="field_change")
    assert "started at: (empty) → 2026-01-05 09:12 UTC" in entry.body
    assert entry.data["changes"]["started_at"] == [None, started.isoformat()]


def test_the_declared_event_is_placed_at_the_declaration_time(declare):
    from datetime import UTC, datetime

    declared = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
    incident = declare(declared_at=declared, detected_at=datetime(2026, 1, 5, 9, 40, tzinfo=UTC))
    assert incident.timeline.get(kind="event").occurred_at == declared

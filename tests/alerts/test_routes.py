"""Routes: a newly opened alert group is recorded, declares an incident (its times taken from
the alert and the intake), or joins an open incident, by the first route whose matchers hold."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.alerts.models import AlertGroup, Route
from incidentdesk.alerts.routes import route_create, route_delete, route_update
from incidentdesk.alerts.services import alerts_receive, integration_create
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.core.errors import NotFound, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind, Incident, IncidentStatus
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.incidents.services.incidents import incident_declare

CLI = ActionSource.CLI
NOW = timezone.now().replace(microsecond=0)
STARTED = NOW - timedelta(minutes=7)


def alert(key="fp1", group="g1", status="firing", labels=None, starts_at=STARTED):
    labels = {"alertname": "DiskFull", "severity": "critical", **(labels or {})}
    return AlertInput(
        key=key,
        group_key=group,
        status=status,
        summary=f"Disk full on {key}",
        labels=labels,
        starts_at=starts_at,
    )


@pytest.fixture
def integration(admin):
    made, _ = integration_create(actor=admin, source=CLI, kind="alertmanager", name="prod")
    return made


@pytest.fixture
def receive(integration, django_capture_on_commit_callbacks):
    """Take alerts in as the intake does, running its after-commit routing."""

    def run(*alerts, at=NOW):
        with django_capture_on_commit_callbacks(execute=True):
            return alerts_receive(integration=integration, alerts=list(alerts), received_at=at)

    return run


def declare_route(admin, **values):
    return route_create(actor=admin, source=CLI, action="declare", severity="major", **values)


@pytest.mark.django_db
def test_a_matching_declare_route_declares_once_from_the_alerts_times(admin, receive):
    db = component_save(actor=admin, source=CLI, name="Database")
    declare_route(
        admin,
        matchers=[{"label": "alertname", "op": "=", "value": "DiskFull"}],
        components=["Database"],
    )
    receive(alert("fp1"))
    incident = Incident.objects.get()
    group = AlertGroup.objects.get()
    assert group.incident == incident
    assert incident.started_at == STARTED and incident.detected_at == NOW
    assert incident.title == "Disk full on fp1" and incident.severity.key == "major"
    assert list(incident.components.all()) == [db]
    assert incident.criteria_reason.startswith("Declared from an alert")
    declared = incident.timeline.get(data__event="declared")
    assert declared.source == ActionSource.ALERT
    entry = incident.timeline.get(kind=EntryKind.ALERT)
    assert entry.source == ActionSource.ALERT and entry.author is None
    assert entry.data["alert_group"] == group.pk
    assert [a["key"] for a in entry.data["alerts"]] == ["fp1"]

    receive(alert("fp2"), at=NOW + timedelta(minutes=1))  # the same group, still open
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.get().alert_count == 2


@pytest.mark.django_db
def test_a_record_route_or_no_match_declares_nothing(admin, receive):
    route_create(
        actor=admin,
        source=CLI,
        action="record",
        matchers=[{"label": "team", "op": "=", "value": "web"}],
    )
    declare_route(admin, matchers=[{"label": "team", "op": "=", "value": "db"}])
    receive(alert("fp1", group="web", labels={"team": "web"}))
    receive(alert("fp2", group="other", labels={"team": "payments"}))
    assert Incident.objects.count() == 0
    assert AlertGroup.objects.filter(incident__isnull=True).count() == 2


@pytest.mark.django_db
def test_the_first_matching_route_by_position_wins(admin, receive):
    declare_route(admin, position=20)
    route_create(
        actor=admin,
        source=CLI,
        action="record",
        position=10,
        matchers=[{"label": "env", "op": "=", "value": "staging"}],
    )
    receive(alert("fp1", group="staging", labels={"env": "staging"}))
    assert Incident.objects.count() == 0
    receive(alert("fp2", group="prod", labels={"env": "prod"}))
    assert Incident.objects.get().alert_groups.get().group_key == "prod"


@pytest.mark.django_db
def test_negative_and_regex_matchers_are_read_as_alertmanager_reads_them(admin, receive):
    declare_route(
        admin,
        matchers=[
            {"label": "env", "op": "!=", "value": "staging"},
            {"label": "instance", "op": "=~", "value": "db-[0-9]+"},
        ],
    )
    receive(alert("a", group="staging", labels={"env": "staging", "instance": "db-1"}))
    # Anchored: "db-1.example" is not a whole match of db-[0-9]+.
    receive(alert("b", group="unanchored", labels={"env": "prod", "instance": "db-1.example"}))
    assert Incident.objects.count() == 0
    # A missing label is the empty string, which is not "staging".
    receive(alert("c", group="match", labels={"instance": "db-12"}))
    assert AlertGroup.objects.get(group_key="match").incident is not None
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_an_attach_route_joins_the_open_incident_of_its_components_else_records(admin, receive):
    component_save(actor=admin, source=CLI, name="Database")
    route_create(actor=admin, source=CLI, action="attach", components=["Database"])
    receive(alert("fp1", group="before"))
    assert AlertGroup.objects.get(group_key="before").incident is None
    open_one = incident_declare(
        actor=admin,
        source=CLI,
        title="DB slow",
        severity="major",
        criteria=["security"],
        components=["Database"],
    )
    receive(alert("fp2", group="after"))
    assert AlertGroup.objects.get(group_key="after").incident == open_one
    assert open_one.timeline.filter(kind=EntryKind.ALERT).count() == 1
    assert Incident.objects.count() == 1
    assert open_one.status == IncidentStatus.INVESTIGATING


@pytest.mark.django_db
def test_a_route_whose_author_was_deactivated_only_records(admin, receive):
    declare_route(admin)
    admin.is_active = False
    admin.save()
    receive(alert())
    assert Incident.objects.count() == 0 and AlertGroup.objects.get().incident is None


@pytest.mark.django_db
def test_a_bad_regex_is_refused_naming_the_matcher_value(admin):
    with pytest.raises(ValidationError) as bad:
        declare_route(admin, matchers=[{"label": "instance", "op": "=~", "value": "db-(["}])
    assert bad.value.field == "matchers[0].value"
    with pytest.raises(ValidationError) as op:
        declare_route(admin, matchers=[{"label": "a", "op": "~=", "value": "x"}])
    assert op.value.field == "matchers[0].op"
    assert Route.objects.count() == 0


@pytest.mark.django_db
def test_unknown_severity_or_component_is_refused_naming_the_field(admin):
    with pytest.raises(ValidationError) as severity:
        route_create(actor=admin, source=CLI, action="declare", severity="apocalyptic")
    assert severity.value.field == "severity"
    with pytest.raises(NotFound) as component:
        declare_route(admin, components=["Nowhere"])
    assert component.value.field == "components"
    with pytest.raises(ValidationError) as missing:
        route_create(actor=admin, source=CLI, action="declare")
    assert missing.value.field == "severity"
    assert Route.objects.count() == 0


@pytest.mark.django_db
def test_admins_change_and_delete_routes_and_others_may_not(admin, manager):
    route = route_create(actor=admin, source=CLI, action="record", name="all")
    with pytest.raises(PermissionDenied):
        route_create(actor=manager, source=CLI, action="record")
    changed = route_update(actor=admin, source=CLI, route_id=route.pk, position=5)
    assert changed.position == 5 and changed.name == "all"
    with pytest.raises(ValidationError) as bad:
        route_update(actor=admin, source=CLI, route_id=route.pk, action="declare")
    assert bad.value.field == "severity"
    route_delete(actor=admin, source=CLI, route_id=route.pk)
    assert Route.objects.count() == 0


@pytest.mark.django_db
def test_a_group_reopened_by_flapping_keeps_its_incident_and_declares_no_other(admin, receive):
    declare_route(admin)
    receive(alert())
    receive(alert(status="resolved"), at=NOW + timedelta(minutes=1))
    again = receive(alert(), at=NOW + timedelta(minutes=2))
    assert len(again.reopened) == 1
    assert Incident.objects.count() == 1
    assert AlertGroup.objects.get().incident == Incident.objects.get()

"""Publishing: what becomes public, component status history, maintenance, banner."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.statuspage import services
from incidentdesk.statuspage.models import (
    ComponentDay,
    ComponentStatusChange,
    PageSettings,
    PublicIncident,
    PublicUpdate,
)
from incidentdesk.statuspage.rules import split_by_day
from tests.factories import ComponentFactory

WEB = ActionSource.WEB


@pytest.fixture
def api_component(db):
    return ComponentFactory(name="API")


@pytest.fixture
def published(declare, responder, api_component):
    incident = declare(title="internal: db primary OOM")
    return services.publication_create(
        actor=responder,
        source=WEB,
        incident=incident,
        name="Elevated API errors",
        message="We are investigating errors on the API.",
        components={"API": "partial_outage"},
    )


def test_publishing_starts_identified_and_sets_the_components(published, api_component):
    api_component.refresh_from_db()
    assert published.status == "identified"
    assert published.impact == "major"
    assert api_component.status == "partial_outage"
    update = published.updates.get()
    assert update.body == "We are investigating errors on the API."
    assert update.affected_components == [
        {
            "code": api_component.public_id,
            "name": "API",
            "old_status": "operational",
            "new_status": "partial_outage",
        }
    ]


def test_a_public_update_also_lands_on_the_internal_timeline_as_public(published):
    entry = published.incident.timeline.get(kind="public_update")
    assert entry.visibility == "public"
    assert "We are investigating errors on the API." in entry.body


def test_publishing_twice_is_refused(published, responder):
    with pytest.raises(InvalidTransition):
        services.publication_create(
            actor=responder, source=WEB, incident=published.incident, name="x", message="y"
        )


def test_a_viewer_cannot_publish(declare, viewer):
    with pytest.raises(PermissionDenied):
        services.publication_create(
            actor=viewer, source=WEB, incident=declare(), name="x", message="y"
        )
    assert not PublicIncident.objects.exists()


@pytest.mark.parametrize(
    "field, kwargs",
    [
        ("name", {"name": ""}),
        ("message", {"message": "x" * 5001}),
        ("status", {"status": "resolved"}),
        ("components", {"components": {"Nope": "major_outage"}}),
        ("components.API", {"components": {"API": "on_fire"}}),
        ("impact", {"impact": "apocalyptic"}),
        ("workaround_url", {"workaround_url": "javascript:alert(1)"}),
        ("remind_interval_minutes", {"remind_interval_minutes": 0}),
    ],
)
def test_bad_publication_input_names_the_field_and_stores_nothing(
    declare, responder, api_component, field, kwargs
):
    values = {"name": "Public name", "message": "Public message", **kwargs}
    with pytest.raises(ValidationError) as error:
        services.publication_create(actor=responder, source=WEB, incident=declare(), **values)
    assert error.value.field == field
    assert not PublicIncident.objects.exists()
    assert not OutboxEvent.objects.filter(to_subscribers=True).exists()
    api_component.refresh_from_db()
    assert api_component.status == "operational"


def test_publishing_emits_subscriber_events_for_the_incident_and_the_component(
    published, api_component
):
    topics = list(OutboxEvent.objects.values_list("topic", "component_ids"))
    assert ("component.updated", [api_component.pk]) in topics
    assert ("incident.updated", [api_component.pk]) in topics
    event = OutboxEvent.objects.get(topic="incident.updated")
    assert event.payload["incident"]["name"] == "Elevated API errors"
    assert set(event.payload) >= {"meta", "page", "incident", "email"}


def test_resolving_returns_components_to_operational_and_keeps_the_impact(
    published, responder, api_component
):
    services.publication_resolve(
        actor=responder, source=WEB, public_incident=published, message="Fixed."
    )
    published.refresh_from_db()
    api_component.refresh_from_db()
    assert published.status == "resolved" and published.resolved_at is not None
    assert published.impact == "major"
    assert api_component.status == "operational"


def test_resolving_can_leave_components_as_they_are(published, responder, api_component):
    services.publication_resolve(
        actor=responder,
        source=WEB,
        public_incident=published,
        message="Fixed.",
        restore_components=False,
    )
    api_component.refresh_from_db()
    assert api_component.status == "partial_outage"


def test_a_resolved_publication_takes_no_more_updates(published, responder):
    services.publication_resolve(
        actor=responder, source=WEB, public_incident=published, message="Fixed."
    )
    with pytest.raises(InvalidTransition):
        services.publication_update(
            actor=responder, source=WEB, public_incident=published, message="again"
        )


def test_monitoring_records_when_it_began(published, responder):
    services.publication_update(
        actor=responder,
        source=WEB,
        public_incident=published,
        message="Watching",
        status="monitoring",
    )
    published.refresh_from_db()
    assert published.monitoring_at is not None and published.updates.count() == 2


def test_status_history_is_stored_per_day_when_a_component_recovers(
    published, responder, api_component
):
    span = ComponentStatusChange.objects.get(component=api_component, ended_at__isnull=True)
    span.started_at = timezone.now() - timedelta(minutes=30)
    span.save()
    services.publication_resolve(
        actor=responder, source=WEB, public_incident=published, message="Fixed."
    )
    days = ComponentDay.objects.filter(component=api_component)
    assert sum(d.partial_outage_seconds for d in days) == pytest.approx(1800, abs=5)
    assert any(published.public_id == i["id"] for d in days for i in d.incidents)


def test_a_span_splits_across_midnight():
    start = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    parts = split_by_day(start, start + timedelta(hours=1), UTC)
    assert parts == [(start.date(), 1800), (start.date() + timedelta(days=1), 1800)]


def test_maintenance_moves_forward_and_marks_components(manager, api_component):
    start = timezone.now() + timedelta(hours=1)
    maintenance = services.maintenance_schedule(
        actor=manager,
        source=WEB,
        name="Database upgrade",
        message="Planned upgrade",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
        components=["API"],
    )
    assert maintenance.status == "scheduled" and maintenance.impact == "maintenance"
    services.maintenance_update(
        actor=None,
        source=ActionSource.SYSTEM,
        maintenance=maintenance,
        status="in_progress",
        message="Started",
    )
    api_component.refresh_from_db()
    assert api_component.status == "under_maintenance"
    with pytest.raises(InvalidTransition):
        services.maintenance_update(
            actor=manager, source=WEB, maintenance=maintenance, status="scheduled", message="back"
        )
    services.maintenance_update(
        actor=manager, source=WEB, maintenance=maintenance, status="completed", message="Done"
    )
    api_component.refresh_from_db()
    assert api_component.status == "operational"


def test_maintenance_must_end_after_it_starts(manager):
    start = timezone.now()
    with pytest.raises(ValidationError) as error:
        services.maintenance_schedule(
            actor=manager,
            source=WEB,
            name="x",
            message="y",
            scheduled_for=start,
            scheduled_until=start,
        )
    assert error.value.field == "scheduled_until"


def test_only_the_system_or_a_manager_moves_maintenance(responder, manager):
    start = timezone.now() + timedelta(hours=1)
    maintenance = services.maintenance_schedule(
        actor=manager,
        source=WEB,
        name="x",
        message="y",
        scheduled_for=start,
        scheduled_until=start + timedelta(hours=1),
    )
    with pytest.raises(PermissionDenied):
        services.maintenance_update(
            actor=responder, source=WEB, maintenance=maintenance, status="in_progress", message="go"
        )


def test_a_manager_sets_a_component_status_by_hand(manager, api_component):
    services.component_status_change(
        actor=manager, source=WEB, component=api_component, status="degraded_performance"
    )
    api_component.refresh_from_db()
    assert api_component.status == "degraded_performance"
    assert OutboxEvent.objects.filter(topic="component.updated").exists()


def test_the_banner_needs_a_message_when_shown(manager):
    with pytest.raises(ValidationError):
        services.banner_set(actor=manager, source=WEB, active=True, message="")
    page = services.banner_set(
        actor=manager,
        source=WEB,
        active=True,
        message="Read-only while we restore",
        kind="read_only",
    )
    assert PageSettings.load().banner_active and page.banner_kind == "read_only"


def test_the_statuspage_command_asks_for_a_public_name_then_updates(declare, responder):
    from incidentdesk.incidents.services import command_run

    incident = declare(title="internal secret")
    with pytest.raises(ValidationError):
        command_run(actor=responder, source=WEB, incident=incident, text="statuspage We are on it")
    command_run(
        actor=responder, source=WEB, incident=incident, text="statuspage Slow search | We are on it"
    )
    publication = PublicIncident.objects.get(incident=incident)
    assert publication.name == "Slow search"
    command_run(actor=responder, source=WEB, incident=incident, text="statuspage Fix rolling out")
    assert list(PublicUpdate.objects.values_list("body", flat=True)) == [
        "Fix rolling out",
        "We are on it",
    ]


def test_a_publication_can_start_quietly_and_tell_subscribers_later(declare, responder):
    quiet = services.publication_create(
        actor=responder,
        source=WEB,
        incident=declare(),
        name="Slow search",
        message="Looking into it.",
        notify=False,
    )
    assert not OutboxEvent.objects.filter(topic="incident.updated").exists()
    services.publication_update(
        actor=responder, source=WEB, public_incident=quiet, message="Found it.", notify=True
    )
    (told,) = OutboxEvent.objects.filter(topic="incident.updated")
    assert "Found it." in str(told.payload)

"""The team's status page screens: the incident page's panel and /statuspage/."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component, EntryKind, TimelineEntry
from incidentdesk.statuspage import services
from incidentdesk.statuspage.models import PageSettings, PublicIncident
from tests.factories import ComponentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return ComponentFactory(name="API")


@pytest.fixture
def incident(declare):
    return declare(title="Internal: primary database OOM")


def page_of(incident):
    return reverse("incident_detail", args=[incident.reference])


def publish_data(api, **overrides):
    data = {
        "name": "API errors",
        "message": "Some requests fail.",
        "status": "identified",
        f"component_{api.public_id}": "partial_outage",
        "notify_subscribers": "on",
        "remind": "on",
        "remind_interval_minutes": "60",
    }
    data.update(overrides)
    return data


def publish(client, incident, api, **overrides):
    url = reverse("statuspage_publish", args=[incident.reference])
    return client.post(url, publish_data(api, **overrides))


def test_an_unpublished_incident_offers_an_empty_publish_form(client, responder, incident, api):
    client.force_login(responder)
    body = client.get(page_of(incident)).content.decode()
    assert 'id="statuspage"' in body
    assert "Publish on the status page" in body
    assert 'name="name"' in body
    # The public name is never prefilled with the internal title.
    name_input = re.search(r'<input[^>]*id="pub_name"[^>]*>', body).group(0)
    assert "value=" not in name_input
    assert f'name="component_{api.public_id}"' in body


def test_a_responder_publishes_from_the_incident_page(client, responder, incident, api):
    client.force_login(responder)
    response = publish(client, incident, api)
    assert response.status_code == 302
    assert response["Location"].endswith(page_of(incident) + "#statuspage")
    pi = PublicIncident.objects.get(incident=incident)
    assert (pi.name, pi.status, pi.impact, pi.remind_interval_minutes) == (
        "API errors",
        "identified",
        "major",
        60,
    )
    api.refresh_from_db()
    assert api.status == "partial_outage"
    assert TimelineEntry.objects.filter(incident=incident, kind=EntryKind.PUBLIC_UPDATE).exists()
    body = client.get(page_of(incident)).content.decode()
    assert "Published on the status page." in body
    assert f'href="/incidents/{pi.public_id}"' in body
    assert "Post a public update" in body


def test_unticked_boxes_turn_notifications_and_reminders_off(client, responder, incident, api):
    client.force_login(responder)
    data = publish_data(api, impact="critical")
    del data["notify_subscribers"], data["remind"]
    client.post(reverse("statuspage_publish", args=[incident.reference]), data)
    pi = PublicIncident.objects.get(incident=incident)
    assert (pi.notify_subscribers, pi.remind_enabled, pi.impact_override) == (
        False,
        False,
        "critical",
    )


def test_a_missing_public_name_is_shown_next_to_the_field(client, responder, incident, api):
    client.force_login(responder)
    response = publish(client, incident, api, name="", message="Typed message kept")
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="pub_name_error"' in body
    assert "Typed message kept" in body
    assert '<details class="inline-edit" open>' in body
    assert not PublicIncident.objects.exists()


def test_a_service_error_lands_on_its_field(client, responder, incident, api):
    client.force_login(responder)
    response = publish(client, incident, api, workaround_url="ftp://nope")
    assert response.status_code == 422
    assert 'id="pub_workaround_url_error"' in response.content.decode()
    assert not PublicIncident.objects.exists()


def test_a_viewer_sees_no_form_and_cannot_publish(client, viewer, incident, api):
    client.force_login(viewer)
    body = client.get(page_of(incident)).content.decode()
    assert 'id="statuspage"' in body and "Publish on the status page" not in body
    response = publish(client, incident, api)
    assert response.status_code == 403
    assert not PublicIncident.objects.exists()


def test_posting_an_update_and_resolving_from_the_panel(client, responder, incident, api):
    client.force_login(responder)
    publish(client, incident, api)
    response = client.post(
        reverse("statuspage_post_update", args=[incident.reference]),
        {
            "status": "monitoring",
            "message": "Fix deployed.",
            f"component_{api.public_id}": "degraded_performance",
            "notify": "on",
        },
    )
    assert response.status_code == 302
    pi = PublicIncident.objects.get(incident=incident)
    assert pi.status == "monitoring"
    assert Component.objects.get(pk=api.pk).status == "degraded_performance"
    response = client.post(
        reverse("statuspage_resolve", args=[incident.reference]),
        {"message": "All good.", "restore_components": "on", "notify": "on"},
    )
    assert response.status_code == 302
    pi.refresh_from_db()
    assert pi.status == "resolved"
    assert Component.objects.get(pk=api.pk).status == "operational"
    body = client.get(page_of(incident)).content.decode()
    assert body.index("All good.") < body.index("Fix deployed.") < body.index("Some requests fail.")
    assert "Post a public update" not in body


def test_resolving_can_leave_components_as_they_are(client, responder, incident, api):
    client.force_login(responder)
    publish(client, incident, api)
    client.post(reverse("statuspage_resolve", args=[incident.reference]), {"message": "Done here."})
    assert Component.objects.get(pk=api.pk).status == "partial_outage"


def test_an_update_without_a_message_keeps_the_form_open(client, responder, incident, api):
    client.force_login(responder)
    publish(client, incident, api)
    response = client.post(
        reverse("statuspage_post_update", args=[incident.reference]),
        {"status": "monitoring", "message": ""},
    )
    assert response.status_code == 422
    assert 'id="upd_message_error"' in response.content.decode()


def test_updating_an_unpublished_incident_is_a_404(client, responder, incident):
    client.force_login(responder)
    response = client.post(
        reverse("statuspage_post_update", args=[incident.reference]),
        {"status": "monitoring", "message": "x"},
    )
    assert response.status_code == 404


# The /statuspage/ overview


def test_the_overview_lists_components_maintenance_and_banner(client, manager, api):
    client.force_login(manager)
    response = client.get(reverse("statuspage_overview"))
    assert response.status_code == 200
    body = response.content.decode()
    for marker in ('id="components"', 'id="maintenance"', 'id="banner"', "API"):
        assert marker in body
    assert "All Systems Operational" in body


def test_the_overview_needs_a_login(client):
    response = client.get(reverse("statuspage_overview"))
    assert response.status_code == 302


def test_a_manager_changes_a_component_status(client, manager, api):
    client.force_login(manager)
    url = reverse("statuspage_component_status", args=[api.pk])
    response = client.post(url, {"status": "major_outage"})
    assert response.status_code == 302
    assert Component.objects.get(pk=api.pk).status == "major_outage"


def test_a_responder_may_not_change_a_component_status(client, responder, api):
    client.force_login(responder)
    url = reverse("statuspage_component_status", args=[api.pk])
    assert client.post(url, {"status": "major_outage"}).status_code == 403
    assert Component.objects.get(pk=api.pk).status == "operational"


def _local(value):
    return timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")


def test_a_manager_schedules_and_moves_maintenance(client, manager, api):
    client.force_login(manager)
    start = timezone.now() + timedelta(days=1)
    response = client.post(
        reverse("statuspage_maintenance_create"),
        {
            "name": "Upgrade",
            "message": "Short pause.",
            "scheduled_for": _local(start),
            "scheduled_until": _local(start + timedelta(hours=1)),
            "components": [api.public_id],
            "auto_transition": "on",
            "notify_subscribers": "on",
        },
    )
    assert response.status_code == 302
    maintenance = PublicIncident.objects.get(is_maintenance=True)
    assert [a.component for a in maintenance.affected.all()] == [api]
    url = reverse("statuspage_maintenance_update", args=[maintenance.public_id])
    client.post(url, {"status": "in_progress", "message": "Started."})
    maintenance.refresh_from_db()
    assert maintenance.status == "in_progress"
    assert Component.objects.get(pk=api.pk).status == "under_maintenance"


def test_maintenance_ending_before_it_starts_is_refused_next_to_the_field(client, manager):
    client.force_login(manager)
    start = timezone.now() + timedelta(days=1)
    response = client.post(
        reverse("statuspage_maintenance_create"),
        {
            "name": "Upgrade",
            "message": "Short pause.",
            "scheduled_for": _local(start),
            "scheduled_until": _local(start - timedelta(hours=1)),
        },
    )
    assert response.status_code == 422
    assert 'id="mnt_scheduled_until_error"' in response.content.decode()
    assert not PublicIncident.objects.exists()


def test_a_manager_sets_and_clears_the_banner(client, manager):
    client.force_login(manager)
    data = {"active": "on", "kind": "read_only", "message": "Read-only during recovery."}
    assert client.post(reverse("statuspage_banner"), data).status_code == 302
    page = PageSettings.load()
    assert (page.banner_active, page.banner_kind) == (True, "read_only")
    client.post(reverse("statuspage_banner"), {"kind": "info", "message": ""})
    assert PageSettings.load().banner_active is False


def test_an_active_banner_needs_a_message(client, manager):
    client.force_login(manager)
    response = client.post(reverse("statuspage_banner"), {"active": "on", "kind": "info"})
    assert response.status_code == 422
    assert 'id="banner_message_error"' in response.content.decode()


def test_published_incidents_are_listed_on_the_overview(client, responder, incident, api):
    services.publication_create(
        actor=responder,
        source=ActionSource.WEB,
        incident=incident,
        name="API errors",
        message="m",
    )
    client.force_login(responder)
    body = client.get(reverse("statuspage_overview")).content.decode()
    assert "API errors" in body and incident.reference in body
    assert "Set</button>" not in body  # responders see statuses, not the manager's controls


def test_the_site_banner_shows_on_the_teams_pages_too(client, manager):
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.statuspage.services import banner_set

    client.force_login(manager)
    assert b"site-banner" not in client.get("/dashboard").content
    banner_set(
        actor=manager,
        source=ActionSource.WEB,
        active=True,
        kind="read_only",
        message="Restoring backups",
    )
    page = client.get("/dashboard").content.decode()
    assert "Restoring backups" in page and "site-banner-read_only" in page

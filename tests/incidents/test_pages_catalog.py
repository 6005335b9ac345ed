import pytest
from django.urls import reverse

from incidentdesk.incidents.models import Component, Severity


@pytest.mark.django_db
def test_catalog_lists_severities_for_everyone(client, viewer):
    client.force_login(viewer)
    response = client.get(reverse("catalog"))
    assert response.status_code == 200
    assert b"Critical" in response.content
    assert b"Add a component" not in response.content


@pytest.mark.django_db
def test_manager_adds_a_component(client, manager):
    client.force_login(manager)
    response = client.post(reverse("component_add"), {"name": "Payments"})
    assert response.status_code == 302
    assert Component.objects.filter(name="Payments").exists()


@pytest.mark.django_db
def test_duplicate_component_name_is_shown_on_the_name_field(client, manager):
    Component.objects.create(name="Payments")
    client.force_login(manager)
    response = client.post(reverse("component_add"), {"name": "payments"})
    assert response.status_code == 422
    assert "already exists" in response.context["component_form"].errors["name"][0]


@pytest.mark.django_db
def test_only_admins_change_severity_policy(client, manager, admin):
    data = {
        "key": "major",
        "name": "Major",
        "position": "2",
        "reminder_interval_minutes": "15",
        "action_due_days": "30",
        "pages": "on",
        "postmortem_required": "on",
    }
    client.force_login(manager)
    assert client.post(reverse("severity_save"), data).status_code == 403
    client.force_login(admin)
    assert client.post(reverse("severity_save"), data).status_code == 302
    assert Severity.objects.get(key="major").reminder_interval_minutes == 15


@pytest.mark.django_db
def test_admin_registers_the_catalog_and_accounts(admin_client):
    for path in (
        "/admin/incidents/severity/",
        "/admin/incidents/component/",
        "/admin/incidents/incident/",
        "/admin/accounts/user/",
        "/admin/accounts/apitoken/",
    ):
        assert admin_client.get(path).status_code == 200, path

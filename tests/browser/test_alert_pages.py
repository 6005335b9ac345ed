"""The alerts pages pass axe-core in light and dark, at desktop and phone width: the
integrations (with a new one's key and set-up), the alert groups and a group's page, and the
routes with a refused route form; an admin uses them in a real browser."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidentdesk.alerts.models import AlertGroup, Integration, Route
from incidentdesk.alerts.routes import route_create
from incidentdesk.alerts.services import alerts_receive, integration_create
from incidentdesk.alerts.sources.base import AlertInput
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.oncall.policies import policy_create
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import SIZES, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CLI = ActionSource.CLI


def _world(admin) -> AlertGroup:
    component_save(actor=admin, source=CLI, name="Database")
    policy_create(
        actor=admin,
        source=CLI,
        name="Database on-call",
        is_default=True,
        steps=[{"target": "person", "person": admin, "wait_minutes": 5}],
    )
    prod, _ = integration_create(actor=admin, source=CLI, kind="alertmanager", name="prod")
    integration_create(actor=admin, source=CLI, kind="grafana", name="grafana", signed=True)
    route_create(
        actor=admin,
        source=CLI,
        name="Disks",
        action="declare",
        severity="major",
        components=["Database"],
        matchers=[{"label": "alertname", "op": "=", "value": "DiskFull"}],
        pages=True,
    )
    route_create(actor=admin, source=CLI, name="Everything else", action="record")
    now = timezone.now()
    labels = {"alertname": "DiskFull", "instance": "db-1.example.com:9100", "team": "database"}
    alerts_receive(
        integration=prod,
        alerts=[
            AlertInput(
                key=f"fp{n}",
                group_key='{}:{alertname="DiskFull"}',
                status="firing",
                summary=f"Disk 95% full on db-{n}",
                labels={**labels, "instance": f"db-{n}.example.com:9100"},
                starts_at=now - timedelta(minutes=9),
                source_url="https://prometheus.example.com/graph?g0.expr=disk",
            )
            for n in (1, 2)
        ],
        received_at=now,
    )
    alerts_receive(
        integration=prod,
        alerts=[AlertInput(key="w", group_key="w", status="firing", summary="Watchdog")],
    )
    return AlertGroup.objects.get(summary__startswith="Disk")


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_alerts_pages_pass_axe(live_server, chromium, admin, scheme, size):
    group = _world(admin)
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    tag = f"alerts-{size}-{scheme}"
    try:
        base = live_server.url
        sign_in(page, base, admin.username)
        for path, name in (
            ("/alerts/", "groups"),
            (f"/alerts/groups/{group.pk}", "group"),
            ("/alerts/integrations", "integrations"),
            ("/alerts/routes", "routes"),
            ("/alerts/routes/new", "route-new"),
        ):
            page.goto(base + path)
            assert violations(page) == [], path
            _shot(page, f"{tag}-{name}")

        page.goto(base + "/alerts/integrations")
        page.get_by_role("link", name="Revoke… prod").click()
        expect(page.locator("#confirm-h")).to_be_visible()
        assert violations(page) == [], "revoke confirmation"
        _shot(page, f"{tag}-revoke")
        page.goto(base + "/alerts/integrations")
        page.get_by_text("Add an integration").click()
        page.get_by_label("Kind").select_option("pagerduty")
        page.get_by_label("Name").fill("uptime checker")
        page.get_by_role("button", name="Create and show the key").click()
        assert page.get_by_label("Integration key (routing_key)").input_value()
        assert violations(page) == [], "integration created"
        _shot(page, f"{tag}-integration-created")

        page.goto(base + "/alerts/routes/new")
        page.locator("#m-label-1").fill("team")
        page.locator("#m-op-1").select_option("=~")
        page.locator("#m-value-1").fill("pay(")
        page.get_by_role("button", name="Save the route").click()
        assert page.locator("#matcher-error").count() == 1
        assert violations(page) == [], "refused route"
        _shot(page, f"{tag}-route-refused")
    finally:
        context.close()


def test_an_admin_acknowledges_a_group_and_moves_a_route_in_the_browser(live_server, page, admin):
    group = _world(admin)
    base = live_server.url
    sign_in(page, base, admin.username)
    page.goto(base + "/alerts/")
    page.get_by_label("Status").select_option("resolved")  # htmx swaps the results in
    expect(page.get_by_text("No alert groups match these filters.")).to_be_visible()
    assert "status=resolved" in page.url
    page.get_by_label("Status").select_option("open")
    page.get_by_role("link", name="Disk 95% full on db-1").click()
    page.get_by_role("button", name="Acknowledge").click()
    assert page.get_by_text("The group is acknowledged.").is_visible()
    group.refresh_from_db()
    assert group.status == "acknowledged"

    page.goto(base + "/alerts/routes")
    page.get_by_role("button", name="Up Everything else").click()
    assert [r.name for r in Route.objects.all()] == ["Everything else", "Disks"]
    page.get_by_role("link", name="Delete… Everything else").click()
    page.get_by_role("button", name="Delete Everything else").click()
    assert [r.name for r in Route.objects.all()] == ["Disks"]

    page.goto(base + "/alerts/integrations")
    page.get_by_role("link", name="Revoke… grafana").click()
    page.get_by_role("button", name="Revoke grafana").click()
    assert Integration.objects.get(name="grafana").revoked_at is not None

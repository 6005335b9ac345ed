"""The Insights page's "Disasters and drills" section passes axe-core, in light and dark, at
desktop and phone width, and keeps its tables readable (screenshots in test-artifacts/)."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from incidentdesk.recovery.models import AffectedSystem, Disaster, System, SystemState
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


def _disaster(incident, system, drill, restored, lost):
    start = incident.started_at or incident.declared_at
    disaster = Disaster.objects.create(incident=incident, drill=drill, interrupted_at=start)
    AffectedSystem.objects.create(
        disaster=disaster,
        system=system,
        state=SystemState.RESTORED,
        restored_at=start + timedelta(minutes=restored),
        last_recovery_point_at=start - timedelta(minutes=lost),
    )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_disasters_and_drills_section_passes_axe(
    live_server, chromium, responder, declare, scheme, size
):
    billing = System.objects.create(name="Billing", owner=responder, rto_minutes=60, rpo_minutes=15)
    search = System.objects.create(
        name="Search", owner=responder, rto_minutes=240, rpo_minutes=1440
    )
    _disaster(declare(title="Invoices lost"), billing, False, 90, 30)
    _disaster(declare(title="Search index gone"), search, False, 120, 60)
    _disaster(declare(title="Quarterly restore drill"), billing, True, 40, 5)
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, responder.username)
        page.goto(live_server.url + "/insights/")
        section = page.locator(
            "section", has=page.get_by_role("heading", name="Disasters and drills")
        )
        expect(section.locator("#disasters-table")).to_contain_text("1.5 hours")
        expect(section.locator("#drills-table")).to_contain_text("40 minutes")
        # The section only: the page's charts are checked where they are built.
        found = Axe().run(page, context='section[aria-labelledby="disasters-h"]')
        found = found.response["violations"]
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found] == []
        ARTIFACTS.mkdir(exist_ok=True)
        section.screenshot(path=str(ARTIFACTS / f"insights-disasters-{size}-{scheme}.png"))
    finally:
        context.close()

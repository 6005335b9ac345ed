"""The acknowledge link in a real browser, without signing in: the page and one button pass
axe-core in light and dark at desktop and phone width, and pressing the button acknowledges."""

from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe

from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import PageStatus
from incidentdesk.oncall.paging import ack_url, page_create
from tests.browser.conftest import ARTIFACTS
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def violations(page) -> list[tuple[str, list]]:
    found = Axe().run(page).response["violations"]
    return [(v["id"], [node["target"] for node in v["nodes"]][:3]) for v in found]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_acknowledge_link_shows_one_button_that_acknowledges(
    live_server, chromium, responder, declare, scheme, size
):
    ada = UserFactory(username="ada")
    incident = declare(title="Checkout returns 502", severity="critical")
    paged = page_create(
        actor=responder,
        source=ActionSource.WEB,
        person="ada",
        incident=incident,
        message="A third of checkout requests fail since 09:12.",
    )
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        page.goto(live_server.url + urlsplit(ack_url(paged, ada)).path)
        assert violations(page) == [], "the question"
        page.screenshot(path=str(ARTIFACTS / f"page-ack-{size}-{scheme}.png"), full_page=True)
        page.get_by_role("button", name="Acknowledge").click()
        page.get_by_role("heading", name="Page acknowledged").wait_for()
        assert violations(page) == [], "the answer"
        page.screenshot(path=str(ARTIFACTS / f"page-acked-{size}-{scheme}.png"), full_page=True)
    finally:
        context.close()
    paged.refresh_from_db()
    assert (paged.status, paged.acknowledged_by) == (PageStatus.ACKNOWLEDGED, ada)

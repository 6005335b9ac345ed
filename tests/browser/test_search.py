"""Searching in real Chromium: from the top bar to the timeline entry that matched, and the
search page (results, nothing found, nothing typed) passing axe-core in light and dark, at
desktop and phone width."""

import pytest
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import action_item_create, timeline_entry_add
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}
WEB = ActionSource.WEB


@pytest.fixture
def story(declare, responder):
    """A busy incident whose one entry, far down its timeline, mentions the rare word."""
    incident = declare(title="Checkout latency spikes", summary="Card payments time out")
    for n in range(30):
        timeline_entry_add(
            actor=responder, source=WEB, incident=incident, kind="note", body=f"Checked shard {n}"
        )
    entry = timeline_entry_add(
        actor=responder,
        source=WEB,
        incident=incident,
        kind="decision",
        body="Fail over the **pgbouncer** pool to the standby region",
    )
    for n in range(5):
        timeline_entry_add(
            actor=responder, source=WEB, incident=incident, kind="note", body=f"Still watching {n}"
        )
    action_item_create(
        actor=responder, source=WEB, incident=incident, title="Alert on pgbouncer pool saturation"
    )
    declare(title="Pgbouncer restarts during deploys", summary="Connections drop for a minute")
    return incident, entry


def test_searching_from_the_top_bar_reaches_the_timeline_entry(live_server, page, responder, story):
    incident, entry = story
    page.set_viewport_size(SIZES["desktop"])
    sign_in(page, live_server.url, responder.username)
    box = page.get_by_role("search").get_by_role("searchbox", name="Search incidents")
    box.fill("pgbouncer standby")
    box.press("Enter")
    results = page.get_by_role("region", name="Results")
    expect(results.get_by_text("1 result for")).to_be_visible()
    hit = results.get_by_role("link", name=f"{incident.reference}: Checkout latency spikes")
    expect(results.locator("mark").first).to_have_text("pgbouncer")
    hit.click()
    page.wait_for_url(f"**/incidents/{incident.reference}#entry-{entry.pk}")
    expect(page.locator(f"#entry-{entry.pk}")).to_be_in_viewport()


def test_on_a_phone_the_magnifier_opens_the_search_page(live_server, page, responder, story):
    page.set_viewport_size(SIZES["phone"])
    sign_in(page, live_server.url, responder.username)
    topbar = page.locator(".topbar")
    expect(topbar.get_by_role("searchbox")).to_be_hidden()
    topbar.get_by_role("button", name="Search").click()
    page.wait_for_url("**/search?q=")
    field = page.get_by_role("searchbox", name="Words to find")
    expect(field).to_be_focused()
    field.fill("pgbouncer")
    field.press("Enter")
    expect(page.get_by_role("link", name="Alert on pgbouncer pool saturation")).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= SIZES["phone"]["width"], "the results scroll sideways on a phone"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_page_passes_axe(live_server, chromium, responder, story, scheme, size):
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        base = live_server.url
        sign_in(page, base, responder.username)
        for name, query in (
            ("empty", ""),
            ("results", "?q=pgbouncer"),
            ("none", "?q=zebra&status=resolved"),
        ):
            page.goto(f"{base}/search{query}")
            page.screenshot(
                path=str(ARTIFACTS / f"search-{name}-{scheme}-{size}.png"), full_page=True
            )
            assert violations(page) == [], f"{name} {scheme} {size}"
    finally:
        context.close()

"""Publishing an incident and reading the public page, in real Chromium against a live server."""

import re

import pytest
from django.urls import include, path
from playwright.sync_api import expect

from incidentdesk.statuspage.models import PublicIncident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import ComponentFactory

# The subscription pages are mounted here until config/urls.py includes them.
urlpatterns = [
    path("", include("incidentdesk.statuspage.subscribe_urls")),
    path("", include("incidentdesk.config.urls")),
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(__name__),
]


def test_a_responder_publishes_and_the_public_page_shows_it(
    live_server, page, screenshot, chromium, responder, declare
):
    group = ComponentFactory(name="API")
    ComponentFactory(name="REST API", group=group)
    ComponentFactory(name="Website", description="The dashboard")
    incident = declare(title="Primary DB OOM (internal)", summary="internal-only words")
    base = live_server.url

    sign_in(page, base, responder.username)
    page.goto(f"{base}/incidents/{incident.reference}")
    panel = page.locator("#statuspage")
    panel.get_by_text("Publish on the status page").click()
    expect(panel.get_by_label("Public name")).to_have_value("")
    panel.get_by_label("Public name").fill("Elevated API error rates")
    panel.get_by_label("Message").fill("Some API requests fail. We have found the cause.")
    panel.get_by_label("API / REST API").select_option("partial_outage")
    screenshot("statuspage-01-publish-form")
    panel.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("Published on the status page.")
    expect(panel).to_contain_text("Elevated API error rates")
    screenshot("statuspage-02-published-panel")
    public_id = PublicIncident.objects.get().public_id

    # The public page is pre-rendered after the commit and served by the status page's view.
    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Partial System Outage")
    active = page.get_by_role("region", name="Active incident")
    expect(active.get_by_role("link", name="Elevated API error rates")).to_have_attribute(
        "href", f"/incidents/{public_id}"
    )
    expect(page.locator("body")).not_to_contain_text("internal")
    screenshot("statuspage-03-public-desktop")

    # A day's tooltip is reachable from the keyboard: today, then the day before.
    today = page.locator('.sp-bar[role=group] .d[tabindex="0"]').first
    today.focus()
    page.keyboard.press("ArrowLeft")
    focused_tip = page.locator(".sp-bar .d:focus .tip")
    expect(focused_tip).to_be_visible()
    expect(focused_tip).to_have_text(re.compile(r"^\w{3} \d{1,2}, \d{4} — No data$"))

    # Subscribing from the pre-rendered page's form (no CSRF token) reaches the dynamic view.
    page.get_by_label("Email address").fill("reader@example.com")
    page.get_by_role("button", name="Subscribe", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your inbox")

    phone = chromium.new_context(viewport={"width": 360, "height": 740})
    try:
        for scheme in ("light", "dark"):
            mobile = phone.new_page()
            mobile.emulate_media(color_scheme=scheme)
            mobile.goto(base + "/")
            expect(mobile.get_by_text("Elevated API error rates").first).to_be_visible()
            width = mobile.evaluate("document.documentElement.scrollWidth")
            assert width <= 360, f"horizontal scroll on a phone ({scheme}): {width}px"
            mobile.screenshot(
                path=str(ARTIFACTS / f"statuspage-04-phone-{scheme}.png"), full_page=True
            )
            mobile.goto(f"{base}/incidents/{public_id}")
            assert mobile.evaluate("document.documentElement.scrollWidth") <= 360
            mobile.close()
    finally:
        phone.close()

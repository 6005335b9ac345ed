"""The Insights page on a phone (390×844) and a desktop, light and dark: every chart fits the
screen without scrolling sideways, has axes with titles and ticks and a text alternative, and
the page passes axe-core (nested-interactive included: the charts are pictures, their links
are in the tables). Screenshots in test-artifacts/."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


def _incidents(declare):
    now = timezone.now()
    for days, severity, users in ((3, "critical", 1200), (10, "major", None), (20, "trivial", 40)):
        declare(
            title=f"Outage {days} days ago",
            severity=severity,
            started_at=now - timedelta(days=days, hours=2),
            detected_at=now - timedelta(days=days, hours=1),
            declared_at=now - timedelta(days=days),
            users_affected_count=users,
        )


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_insights_charts_fit_the_screen_and_pass_axe(
    live_server, chromium, responder, declare, scheme, size
):
    _incidents(declare)
    viewport = SIZES[size]
    context = chromium.new_context(viewport=viewport, color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, responder.username)
        page.goto(live_server.url + "/insights/")
        expect(page.locator("#users-affected")).to_contain_text("1,240 users affected")
        expect(page.locator("#users-affected")).to_contain_text("1 incident gave no number")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], "the page scrolls sideways"
        charts = page.locator("svg.chart")
        assert charts.count() >= 8
        for i in range(charts.count()):
            chart = charts.nth(i)
            chart.scroll_into_view_if_needed()
            box = chart.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], i
            assert chart.get_attribute("viewBox") and chart.get_attribute("width") == "100%"
            # A text alternative, and axes with a title and ticks with values.
            assert chart.locator("title").text_content()
            assert chart.locator("desc").text_content()
            assert chart.locator("text.axis-title").count() >= 1
            assert chart.locator("a").count() == 0  # a picture: nothing to press inside
        users = page.locator("#chart-users-per-period")
        expect(users.locator("svg desc")).to_contain_text("1,240 users affected")
        expect(users).to_contain_text("1 incident gave no number of users affected")
        expect(page.locator("#chart-per-period .chart-legend")).to_contain_text("Critical")
        found = Axe().run(page, context="main").response["violations"]
        assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found] == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"insights-{size}-{scheme}.png"), full_page=True)
    finally:
        context.close()

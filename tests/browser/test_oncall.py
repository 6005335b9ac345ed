"""The schedule pages pass axe-core in light and dark, at desktop and phone width: the list of
schedules, a schedule's page (its two-week calendar, layers with a restriction, an override, a
refused layer form) and My on-call with its shifts and its calendar URL, copied with one click."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.services import layer_add, override_add, schedule_create
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import SIZES, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEB = ActionSource.WEB


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_schedule_pages_pass_axe(live_server, chromium, manager, make_user, scheme, size):
    for name in ("ana", "ben", "cat"):
        make_user(username=name)
    schedule = schedule_create(
        actor=manager,
        source=WEB,
        name="Primary",
        time_zone="Europe/Berlin",
        description="Payments and checkout",
    )
    today = timezone.now().date()
    layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=["ana", "ben", manager.username],
        rotation_start=today - timedelta(days=3),
        handoff_time="09:00",
        name="Around the clock",
    )
    layer_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        people=["cat"],
        rotation_start=today - timedelta(days=3),
        handoff_time="09:00",
        name="Office hours",
        restrictions=[{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(1, 6)],
    )
    start = timezone.now() + timedelta(days=2)
    override_add(
        actor=manager,
        source=WEB,
        schedule=schedule,
        user="ben",
        start=start,
        end=start + timedelta(hours=6),
    )
    schedule_create(actor=manager, source=WEB, name="Weekend", time_zone="UTC")
    context = chromium.new_context(
        viewport=SIZES[size],
        color_scheme=scheme,
        permissions=["clipboard-read", "clipboard-write"],
    )
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)

    def shot(name):
        page.screenshot(path=str(ARTIFACTS / f"oncall-{name}-{size}-{scheme}.png"), full_page=True)

    try:
        base = live_server.url
        sign_in(page, base, manager.username)
        page.goto(base + "/oncall/")
        assert page.get_by_role("link", name="Primary").count() == 1
        assert violations(page) == [], "schedule list"
        shot("list")
        page.goto(f"{base}/oncall/{schedule.pk}/")
        assert page.locator("table.oncall-calendar tbody tr").count() == 14
        assert violations(page) == [], "schedule page"
        shot("schedule")
        page.get_by_text("Add a layer").click()
        page.locator("#id_new-layer-people").fill("nobody-here")
        page.get_by_role("button", name="Add the layer").click()
        assert page.locator("#id_new-layer-people_error").count() == 1
        assert violations(page) == [], "refused layer"
        shot("refused-layer")
        page.goto(base + "/oncall/me")
        assert page.get_by_role("heading", name="My calendar").count() == 1
        assert violations(page) == [], "my on-call"
        shot("mine")
        url = page.get_by_label("Calendar URL").input_value()
        assert "/oncall/calendar/" in url and url.endswith(".ics")
        page.get_by_role("button", name="Copy the calendar URL").click()
        expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
        assert page.evaluate("navigator.clipboard.readText()") == url
        assert page.request.get(url).status == 200
    finally:
        context.close()

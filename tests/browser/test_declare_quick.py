"""Declaring quickly, in real Chromium: only the quick fields, when it started as a choice, the
declarer leading; a refused form puts focus on its first error; the page passes axe-core in
light and dark at desktop and phone width, fresh and refused."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from incidentdesk.incidents.models import Incident, IncidentRole
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


def focused_id(page) -> str:
    return page.evaluate("document.activeElement && document.activeElement.id")


def test_the_quick_fields_declare_it_started_15_minutes_ago_and_led_by_the_declarer(
    live_server, page, responder
):
    sign_in(page, live_server.url, responder.username)
    page.goto(live_server.url + "/incidents/new")
    expect(page.locator("#more-details")).not_to_have_attribute("open", "")
    page.get_by_label("Title").fill("Checkout returns 502 for EU customers")
    page.get_by_label("Severity").select_option("major")
    page.get_by_label("What is happening").fill("Half the payments fail since 10:02.")
    page.get_by_label(re.compile("immediate response", re.I)).check()
    page.get_by_label("15 minutes ago").check()
    expect(page.get_by_label("I'll lead this")).to_be_checked()
    page.get_by_role("button", name="Declare incident").click()

    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{4}-0001$"))
    incident = Incident.objects.get()
    assert incident.declared_at - incident.started_at == timedelta(minutes=15)
    lead = incident.role_history.get(role=IncidentRole.LEAD)
    assert lead.user == responder and lead.ended_at is None
    expect(page.locator("#roles")).to_contain_text(responder.display_name)


def test_typing_a_start_time_chooses_at_this_time(live_server, page, responder, settings):
    sign_in(page, live_server.url, responder.username)
    page.goto(live_server.url + "/incidents/new")
    page.get_by_label("Title").fill("Search is slow")
    page.get_by_label("Severity").select_option("trivial")
    page.get_by_label(re.compile("degrades users", re.I)).check()
    page.locator("#id_started_at").fill("2024-01-10T09:30")
    expect(page.get_by_label("At this time:")).to_be_checked()
    page.get_by_label("I'll lead this").uncheck()
    page.get_by_role("button", name="Declare incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{4}-0001$"))
    incident = Incident.objects.get()
    assert incident.started_at.isoformat().startswith("2024-01-10T09:30")
    assert not incident.role_history.filter(role=IncidentRole.LEAD).exists()


def test_a_refused_declare_puts_focus_on_the_first_error_and_keeps_what_was_typed(
    live_server, page, responder
):
    sign_in(page, live_server.url, responder.username)
    page.goto(live_server.url + "/incidents/new")
    page.get_by_label("What is happening").fill("Orders fail.")
    page.get_by_role("button", name="Declare incident").click()
    expect(page.locator("#id_title_error")).to_be_visible()
    assert focused_id(page) == "id_title"
    expect(page.get_by_label("What is happening")).to_have_value("Orders fail.")
    expect(page.locator("#id_criteria_error")).to_be_visible()

    page.get_by_label("Title").fill("Orders fail")
    page.get_by_role("button", name="Declare incident").click()
    expect(page.locator("#id_severity_error")).to_be_visible()
    assert focused_id(page) == "id_severity"
    # The summary's link to a later error takes the focus there.
    page.locator(".form-errors").get_by_role("link", name="Why is this an incident?").click()
    assert focused_id(page) == "id_criteria_0"
    assert not Incident.objects.exists()


def test_an_error_in_more_details_opens_it_with_focus_on_the_field(live_server, page, responder):
    sign_in(page, live_server.url, responder.username)
    page.goto(live_server.url + "/incidents/new")
    page.get_by_label("Title").fill("Orders fail")
    page.get_by_label("Severity").select_option("major")
    page.get_by_label(re.compile("immediate response", re.I)).check()
    page.get_by_text("More details").click()
    page.get_by_label("Conference call").fill("javascript:alert(1)")
    page.get_by_role("button", name="Declare incident").click()
    expect(page.locator("#id_call_url_error")).to_be_visible()
    expect(page.locator("#more-details")).to_have_attribute("open", "")
    assert focused_id(page) == "id_call_url"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_declare_page_passes_axe_fresh_and_refused(
    live_server, chromium, responder, scheme, size
):
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        sign_in(page, live_server.url, responder.username)
        page.goto(live_server.url + "/incidents/new")
        assert violations(page) == [], "declare page"
        page.screenshot(path=str(ARTIFACTS / f"declare-{size}-{scheme}.png"), full_page=True)
        page.get_by_text("More details").click()
        assert violations(page) == [], "declare page, more details open"
        page.get_by_label("Conference call").fill("ftp://call")
        page.get_by_role("button", name="Declare incident").click()
        expect(page.locator("#id_title_error")).to_be_visible()
        assert violations(page) == [], "refused declare"
        page.screenshot(
            path=str(ARTIFACTS / f"declare-refused-{size}-{scheme}.png"), full_page=True
        )
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], f"the page scrolls sideways ({width}px)"
    finally:
        context.close()

"""Live pages in Chromium: a page watching an incident shows a teammate's change by itself,
never replaces what its reader is typing, keeps its clock moving, rests while hidden, lets its
toasts go by themselves without covering the newest entry on a phone, and passes axe-core
after a refresh."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import services
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 850}
WITHIN = 2_000  # a teammate's change shows within 2 s (a poll every 1.5 s)


@pytest.fixture
def watch(live_server, chromium):
    """`watch(user, incident, viewport=…, scheme=…)`: a browser context of its own, signed in
    as `user`, on the incident's page, its first poll answered."""
    contexts = []

    def open_page(user, incident, viewport=DESKTOP, scheme="light", clock=False):
        context = chromium.new_context(viewport=viewport, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        if clock:
            page.clock.install()
        sign_in(page, live_server.url, user.username)
        with page.expect_response(re.compile(r"/live\?")):
            page.goto(f"{live_server.url}/incidents/{incident.reference}")
        return page

    yield open_page
    for context in contexts:
        context.close()


# The tab hidden or shown again, as the browser tells the page.
SHOWN = """state => {
    Object.defineProperty(document, "visibilityState", {value: state, configurable: true});
    document.dispatchEvent(new Event("visibilitychange"));
}"""

UNDER_THE_BAR = """el => window.scrollBy(0, el.getBoundingClientRect().top
    - document.querySelector(".topbar").getBoundingClientRect().bottom - 4)"""


def note(actor, incident, body, source=ActionSource.API):
    return services.timeline_entry_add(
        actor=actor, source=source, incident=incident, kind="note", body=body
    )


def newest_entry(page):
    return page.locator("#timeline .timeline > li").first


def test_a_teammates_note_through_the_api_appears_without_a_reload(
    watch, live_server, chromium, responder, make_user, declare, rita
):
    incident = declare(title="Checkout is failing")
    page = watch(make_user(), incident)
    response = rita.call(
        "POST",
        f"/incidents/{incident.reference}/timeline",
        {"kind": "note", "body": "Rolled back v42"},
    )
    assert response.status_code == 201
    expect(newest_entry(page)).to_contain_text("Rolled back v42", timeout=WITHIN)
    # and a teammate's command in their own browser, through the command box
    teammate = chromium.new_context(viewport=DESKTOP)
    try:
        theirs = teammate.new_page()
        sign_in(theirs, live_server.url, responder.username)
        theirs.goto(f"{live_server.url}/incidents/{incident.reference}")
        theirs.locator("#command-input").fill("sev critical")
        theirs.locator("#command-input").press("Enter")
        expect(theirs.locator("#command-reply")).to_contain_text(re.compile("critical", re.I))
    finally:
        teammate.close()
    expect(page.locator("#incident-header")).to_contain_text(
        re.compile("critical", re.I), timeout=WITHIN
    )


def test_a_change_through_the_cli_appears_and_another_incidents_does_not(
    watch, cli, responder, make_user, declare
):
    incident = declare(title="Checkout is failing")
    other = declare(title="Search is slow")
    page = watch(make_user(), incident)
    polls = []
    page.on("response", lambda r: "/live?" in r.url and polls.append(r.status))
    note(responder, other, "Elsewhere entirely")
    run = cli("say", incident.reference, "note", "Failover done", "--as", responder.username)
    assert run.code == 0, run.err
    expect(newest_entry(page)).to_contain_text("Failover done", timeout=WITHIN)
    expect(page.get_by_text("Elsewhere entirely")).to_have_count(0)
    assert polls.count(200) == 1  # only its own change answered in full


def test_what_is_being_typed_survives_a_refresh(watch, responder, make_user, declare):
    incident = declare(title="Checkout is failing")
    page = watch(make_user(), incident)
    box = page.locator("#command-input")
    box.click()
    box.press_sequentially("note half typ")
    page.get_by_text("Add an entry with its kind and time").click()
    page.locator("#entry-add textarea").fill("A longer entry being written")
    box.click()
    box.press("End")
    note(responder, incident, "Database failover started")
    expect(newest_entry(page)).to_contain_text("Database failover started", timeout=WITHIN)
    expect(box).to_have_value("note half typ")
    expect(box).to_be_focused()
    expect(page.locator("#entry-add")).to_have_attribute("open", "")
    expect(page.locator("#entry-add textarea")).to_have_value("A longer entry being written")
    box.press_sequentially("ed")
    expect(box).to_have_value("note half typed")


def test_an_open_edit_form_is_not_swapped_until_it_is_left(watch, responder, make_user, declare):
    incident = declare(title="Checkout is failing")
    page = watch(responder, incident)
    page.get_by_text("Edit links").click()
    tracker = page.locator("#incident-facts input[name=tracker_url]")
    tracker.fill("https://tracker.example/42")
    services.incident_update(
        actor=responder,
        source=ActionSource.CLI,
        incident=incident,
        changes={"summary": "Half of payments fail"},
    )
    # the facts panel holds unsaved input: it waits; the timeline beside it does not
    expect(newest_entry(page)).to_contain_text("summary", timeout=WITHIN)
    expect(tracker).to_have_value("https://tracker.example/42")
    expect(page.locator("#incident-facts")).not_to_contain_text("Half of payments fail")
    tracker.fill("")
    page.locator("#incident-facts summary").first.click()  # closes the form
    page.locator("h1").click()
    expect(page.locator("#incident-facts")).to_contain_text("Half of payments fail", timeout=WITHIN)


def test_the_clock_keeps_moving_and_a_hidden_tab_asks_nothing(watch, make_user, declare):
    incident = declare(title="Checkout is failing")
    page = watch(make_user(), incident, clock=True)
    clock = page.locator("time[data-live=clock]")
    expect(clock).to_have_text("0 min")
    polls = []
    page.on("request", lambda r: "/live?" in r.url and polls.append(r.url))
    page.evaluate(SHOWN, "hidden")
    page.clock.run_for("01:12:00")
    expect(clock).to_have_text("1 h 12 min")
    expect(page.locator("#live-clock time[data-live=ago]")).to_have_text("1 hour ago")
    assert polls == []
    with page.expect_request(re.compile(r"/live\?")):
        page.evaluate(SHOWN, "visible")
    assert page.locator("#live-clock").get_attribute("aria-live") is None


def test_toasts_leave_by_themselves_and_never_cover_the_newest_entry_on_a_phone(
    watch, responder, declare
):
    incident = declare(title="Checkout is failing")
    for n in range(8):
        note(responder, incident, f"Step {n}")
    page = watch(responder, incident, viewport=PHONE)
    newest = newest_entry(page)
    for place in ("under-the-bar", "center", "end"):
        if place == "under-the-bar":  # where a toast at the top would sit
            newest.evaluate(UNDER_THE_BAR)
        else:
            newest.evaluate(f"el => el.scrollIntoView({{block: '{place}'}})")
        newest.get_by_role("button", name=re.compile("^(Pin|Unpin)")).click()
        toast = page.locator("#toast .toast")
        expect(toast).to_be_visible()
        box, entry = toast.bounding_box(), newest_entry(page).bounding_box()
        apart = box["y"] + box["height"] <= entry["y"] or entry["y"] + entry["height"] <= box["y"]
        assert apart, (place, box, entry)
        page.screenshot(path=str(ARTIFACTS / f"live-toast-phone-{place}.png"))
        expect(toast).to_have_count(0, timeout=8_000)
    # an error stays while hovered, and × still dismisses it at once
    page.evaluate(
        """() => document.getElementById('toast').insertAdjacentHTML('beforeend',
            '<div class="toast toast-error" role="alert"><span>Refused</span>' +
            '<button type="button" class="toast-close" aria-label="Dismiss" ' +
            'onclick="this.parentElement.remove()">×</button></div>')"""
    )
    error = page.locator("#toast .toast-error")
    error.hover()
    expect(error).to_be_visible()
    error.get_by_role("button", name="Dismiss").click()
    expect(error).to_have_count(0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_watched_page_passes_axe_after_a_live_refresh(
    watch, responder, make_user, declare, scheme
):
    incident = declare(title="Checkout is failing")
    page = watch(make_user(), incident, scheme=scheme)
    note(responder, incident, "Cache flushed")
    expect(newest_entry(page)).to_contain_text("Cache flushed", timeout=WITHIN)
    found = Axe().run(page).response["violations"]
    assert [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found] == []
    page.screenshot(path=str(ARTIFACTS / f"live-incident-{scheme}.png"), full_page=True)


def test_the_list_refreshes_its_results_and_keeps_its_filters(
    live_server, chromium, responder, declare
):
    declare(title="Checkout is failing")
    context = chromium.new_context(viewport=DESKTOP)
    try:
        page = context.new_page()
        sign_in(page, live_server.url, responder.username)
        with page.expect_response(re.compile(r"/live/incidents\?")):
            page.goto(f"{live_server.url}/incidents?q=slow")
        expect(page.locator("#results")).to_contain_text("0 incidents")
        declare(title="Search is slow")
        declare(title="Mail is late")
        expect(page.locator("#results")).to_contain_text("Search is slow", timeout=WITHIN)
        expect(page.locator("#results")).not_to_contain_text("Mail is late")
        page.goto(f"{live_server.url}/dashboard")
        expect(page.locator("#main")).to_contain_text("Mail is late")
        declare(title="Logins fail")
        expect(page.locator("#main")).to_contain_text("Logins fail", timeout=WITHIN + 1_500)
    finally:
        context.close()

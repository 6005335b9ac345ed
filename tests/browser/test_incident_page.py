"""The incident page during an outage, in real Chromium: the command box one key away and next
to the newest entries (on a phone too), the timeline searched in place, popovers that close
with Escape, refusals written as sentences at their form, a close form that offers only what
the server accepts, and axe-core with the forms open, light and dark, desktop and phone."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_set_status, timeline_entry_add
from tests.browser.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WEB = ActionSource.WEB
DESKTOP = {"width": 1366, "height": 850}
PHONE = {"width": 390, "height": 844}
NOTES = ("Paged the payments team", "Error rate 30% on checkout", "Rolled back release 2026.11.3")


@pytest.fixture
def busy(declare, manager):
    """A critical incident, led by the manager, with a few notes on its timeline."""
    incident = declare(
        actor=manager,
        title="Checkout returns 502 for EU customers",
        severity="critical",
        summary="Payments to the EU processor fail since the 14:02 deploy.",
    )
    for body in NOTES:
        timeline_entry_add(actor=manager, source=WEB, incident=incident, kind="note", body=body)
    return incident


@pytest.fixture
def open_page(chromium, live_server):
    """`open_page(user, incident, size, scheme)`: the incident page, signed in, in a fresh
    browser context closed after the test."""
    contexts = []

    def open_(user, incident, size=DESKTOP, scheme="light"):
        context = chromium.new_context(viewport=size, color_scheme=scheme)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        sign_in(page, live_server.url, user.username)
        page.goto(f"{live_server.url}/incidents/{incident.reference}")
        return page

    yield open_
    for context in contexts:
        context.close()


def entries(page):
    return page.locator("#timeline li.entry")


def test_slash_puts_the_cursor_in_the_command_box_and_its_reply_appears_under_it(
    open_page, manager, busy
):
    page = open_page(manager, busy)
    command = page.get_by_role("textbox", name="Command")
    page.locator("body").press("/")
    expect(command).to_be_focused()
    command.fill("note Restarted the primary")
    command.press("Enter")
    reply = page.locator("#command-reply .reply")
    expect(reply).to_contain_text("Note recorded.")
    expect(entries(page).first).to_contain_text("Restarted the primary")
    box, said = command.bounding_box(), reply.bounding_box()
    assert 0 <= said["y"] - (box["y"] + box["height"]) < 60, (box, said)

    # "c" works too, but not while typing in another field; Escape leaves the box.
    command.press("Escape")
    expect(command).not_to_be_focused()
    search = page.get_by_role("searchbox", name="Search the timeline")
    search.click()
    search.press("c")
    expect(search).to_have_value("c")
    expect(command).not_to_be_focused()
    search.fill("")
    page.locator("#timeline-h").click()
    page.keyboard.press("c")
    expect(command).to_be_focused()

    # ↑ brings back the command just run.
    command.press("ArrowUp")
    expect(command).to_have_value("note Restarted the primary")


def test_a_refused_command_replies_with_a_sentence_beside_the_box(open_page, manager, busy):
    page = open_page(manager, busy)
    command = page.get_by_role("textbox", name="Command")
    command.fill("status closed")
    command.press("Enter")
    reply = page.locator("#command-reply .reply-error")
    expect(reply).to_contain_text("Status cannot go from investigating to closed")
    expect(reply).not_to_contain_text("status:")
    expect(command).to_have_value("status closed")  # kept, to correct it


def test_on_a_phone_the_command_box_and_the_newest_entry_are_on_the_first_screen(
    open_page, manager, busy
):
    page = open_page(manager, busy, size=PHONE)
    command = page.get_by_role("textbox", name="Command").bounding_box()
    newest = entries(page).first
    expect(newest).to_contain_text(NOTES[-1])
    entry = newest.bounding_box()
    assert command["y"] >= 0 and entry["y"] + entry["height"] <= PHONE["height"], (command, entry)
    assert command["y"] < entry["y"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_typing_in_the_timeline_search_narrows_the_entries_without_a_reload(
    open_page, manager, busy
):
    page = open_page(manager, busy)
    expect(entries(page)).to_have_count(4)  # declared + three notes
    page.evaluate("window.notReloaded = true")
    page.get_by_role("searchbox", name="Search the timeline").press_sequentially("rolled")
    expect(entries(page)).to_have_count(1)
    expect(entries(page).first).to_contain_text("Rolled back release")
    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{4}-\d{4}\?q=rolled$"))
    assert page.evaluate("window.notReloaded") is True

    page.get_by_label("Show kind").select_option("decision")
    expect(page.locator("#timeline")).to_contain_text("No entries match this search")
    expect(page).to_have_url(re.compile(r"\?q=rolled&kind=decision$"))

    page.get_by_role("link", name="Show every entry").click()
    expect(entries(page)).to_have_count(4)
    expect(page.get_by_role("searchbox", name="Search the timeline")).to_have_value("")
    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{4}-\d{4}$"))
    assert page.evaluate("window.notReloaded") is True

    # The address is a link to the same search.
    page.goto(page.url + "?q=paged")
    expect(entries(page)).to_have_count(1)
    expect(page.get_by_role("searchbox", name="Search the timeline")).to_have_value("paged")


def test_escape_closes_a_popover_and_gives_focus_back_to_its_summary(open_page, manager, busy):
    page = open_page(manager, busy)
    blocked = page.locator("#status-blocked")
    summary = blocked.locator("summary")
    summary.click()
    reason = page.get_by_label("Why is work blocked?")
    expect(reason).to_be_visible()
    reason.fill("waiting for the vendor")
    reason.press("Escape")
    expect(reason).to_be_hidden()
    expect(summary).to_be_focused()

    # A click outside closes it too; an inline form closes with Escape the same way.
    summary.click()
    expect(reason).to_be_visible()
    page.locator("#timeline-h").click()
    expect(reason).to_be_hidden()
    details = page.locator("summary", has_text="Edit details")
    details.click()
    title = page.locator("#incident-header").get_by_label("Title")
    expect(title).to_be_visible()
    title.press("Escape")
    expect(title).to_be_hidden()
    expect(details).to_be_focused()


def test_a_refused_status_change_reads_as_a_sentence_at_its_form(open_page, manager, busy):
    page = open_page(manager, busy)
    page.locator("#status-blocked summary").click()
    page.get_by_role("button", name="Mark blocked").click()
    error = page.locator("#reason-blocked-error")
    expect(error).to_have_text("Say why work is blocked.")
    expect(page.locator("#status-blocked")).to_have_attribute("open", "")
    reason = page.get_by_label("Why is work blocked?")
    expect(reason).to_be_focused()
    expect(page.locator("#incident-header")).not_to_contain_text("reason:")
    expect(page.locator("#toast")).not_to_contain_text("reason")


def test_a_severity_requiring_a_postmortem_offers_no_optional_waiver(open_page, manager, busy):
    incident_set_status(actor=manager, source=WEB, incident=busy, status="resolved")
    page = open_page(manager, busy)
    page.locator("#status-closed summary").click()
    why = page.locator("#status-closed-why")
    expect(why).to_contain_text("needs its postmortem published before it can be closed")
    expect(why.get_by_role("link", name="Open the postmortem")).to_be_visible()
    expect(page.get_by_label(re.compile("Why no postmortem"))).to_have_count(0)
    expect(page.get_by_role("button", name="Close incident")).to_have_count(0)


def violations(page) -> list[tuple[str, list]]:
    found = Axe().run(page).response["violations"]
    return [(v["id"], [node["target"] for node in v["nodes"]][:3]) for v in found]


@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_page_with_its_forms_open_passes_axe(open_page, manager, busy, scheme, size):
    page = open_page(manager, busy, size=DESKTOP if size == "desktop" else PHONE, scheme=scheme)
    assert violations(page) == [], "page"
    # A refused status form, with its sentence at the field.
    page.locator("#status-blocked summary").click()
    page.get_by_role("button", name="Mark blocked").click()
    expect(page.locator("#reason-blocked-error")).to_be_visible()
    assert violations(page) == [], "refused status form"
    page.keyboard.press("Escape")
    # A command's reply, the search with no match, the inline forms.
    command = page.get_by_role("textbox", name="Command")
    command.fill("status closed")
    command.press("Enter")
    expect(page.locator("#command-reply .reply-error")).to_be_visible()
    page.get_by_role("searchbox", name="Search the timeline").fill("nothing like this")
    expect(page.locator("#timeline")).to_contain_text("No entries match")
    page.locator("summary", has_text="Add an entry with its kind and time").click()
    page.locator("summary", has_text="Edit details").click()
    page.locator("#resolve-popover summary").click()
    assert violations(page) == [], "forms open"

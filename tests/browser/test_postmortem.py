"""Writing, reviewing and publishing a postmortem, in real Chromium against a live server."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.postmortems.defaults import ensure_built_in_templates, ensure_built_in_terms
from incidentdesk.postmortems.models import PostmortemTemplate, TaxonomyTerm
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 390, "height": 844}


@pytest.fixture(autouse=True)
def _built_in_terms_and_templates(transactional_db):
    """The live server's tests flush the tables, data migrations' rows included: put the
    built-in taxonomy terms and templates back."""
    ensure_built_in_terms(TaxonomyTerm)
    ensure_built_in_templates(PostmortemTemplate)


def assert_no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"the {what} scrolls sideways on a phone ({width}px > {inner}px)"


def test_a_responder_writes_the_postmortem_and_a_manager_publishes_it(
    live_server, page, screenshot, chromium, responder, manager, declare
):
    incident = incident_set_status(
        actor=responder,
        source=ActionSource.WEB,
        incident=declare(title="Checkout is failing"),
        status="resolved",
    )
    base = live_server.url
    postmortem_url = f"{base}/incidents/{incident.reference}/postmortem"

    # Start it from the blameless template.
    sign_in(page, base, responder.username)
    page.goto(postmortem_url)
    page.get_by_label("Template").select_option("blameless")
    page.get_by_role("button", name="Start the postmortem").click()
    expect(page.locator("#pm-status")).to_have_text("Draft")
    contents = page.get_by_role("navigation", name="Sections")
    expect(contents.get_by_role("link", name="Summary", exact=True)).to_be_visible()

    # Write the summary: the live preview renders the markdown and flags the blameful sentence.
    summary = page.get_by_role("region", name="Summary", exact=True)
    editor = summary.locator("details", has_text="Write “Summary”")
    expect(editor).to_have_js_property("open", True)  # an unwritten section's editor starts open
    text = summary.get_by_role("textbox", name="Summary (markdown)")
    text.press_sequentially(
        "**Checkout** failed for 40 minutes.\n\nBob forgot to restart the cache."
    )
    preview = summary.locator(".pm-preview")
    expect(preview.locator(".md strong")).to_have_text("Checkout")
    expect(preview.get_by_role("status")).to_contain_text("forgot to restart the cache")
    screenshot("postmortem-01-summary-preview")
    summary.get_by_role("button", name="Save", exact=True).click()
    expect(summary.get_by_role("status").last).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))
    # The warning never blocks the save; it stays beside the text afterwards.
    expect(page.locator(".pm-warnings").first).to_contain_text("forgot to restart the cache")
    written = summary.locator("#saved-summary")
    expect(written.locator("strong")).to_have_text("Checkout")
    expect(written).to_contain_text("Bob forgot to restart the cache.")
    expect(summary.get_by_text("Not written yet")).to_have_count(0)
    expect(contents.get_by_role("link", name="Summary ✓")).to_be_visible()

    # An improvement action with no due date gets one from the severity policy.
    actions = page.get_by_role("region", name="Improvement actions")
    actions.get_by_label("Action", exact=True).fill("Alert when the cache is cold")
    actions.get_by_label("Owner").select_option(responder.username)
    actions.get_by_role("button", name="Add the action").click()
    due = timezone.localdate() + timedelta(days=incident.severity.action_due_days)
    expect(page.locator(".messages")).to_contain_text(f"due {due.isoformat()}")
    row = actions.get_by_role("row").filter(has_text="Alert when the cache is cold")
    expect(row.get_by_role("cell").nth(1)).to_have_text(responder.display_name)
    # The table prints a two-digit year (yy-mm-dd); a four-digit one would match as well.
    expect(row.get_by_role("cell").nth(2)).to_contain_text(f"{due:%y-%m-%d}")
    screenshot("postmortem-02-draft-desktop")

    # The draft, with its editors, fits a phone.
    page.set_viewport_size(PHONE)
    expect(actions).to_be_visible()
    screenshot("postmortem-03-draft-phone")
    assert_no_sideways_scroll(page, "draft postmortem")
    page.set_viewport_size({"width": 1280, "height": 900})

    # Send it for review; a responder cannot publish it.
    review = page.get_by_role("region", name="Review")
    review.get_by_role("checkbox", name=re.compile(manager.username)).check()
    review.get_by_role("button", name="Send for review").click()
    expect(page.locator("#pm-status")).to_have_text("In review")
    expect(review).to_contain_text(f"In review by {manager.display_name}")
    expect(review.get_by_role("button", name="Publish")).to_have_count(0)

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    try:
        desk = context.new_page()
        desk.set_default_timeout(15_000)
        sign_in(desk, base, manager.username)
        desk.goto(postmortem_url)
        review = desk.get_by_role("region", name="Review")
        main = desk.locator(".col-main")
        editors = main.get_by_role("group").filter(has_text=re.compile("^(Write|Edit) “"))
        expect(editors.first).to_be_visible()  # in review, the sections can still be changed

        # Publishing needs the conclusion's taxonomy: said at the button and at the picker.
        review.get_by_role("button", name="Publish").click()
        expect(review.locator("#err-review_form")).to_contain_text("Set the conclusion's taxonomy")
        conclusion = desk.get_by_role("region", name="Conclusion")
        expect(conclusion.locator("#err-taxonomy")).to_contain_text("Set the conclusion's taxonomy")
        expect(desk.locator("#pm-status")).to_have_text("In review")
        conclusion.get_by_label("Principal term").select_option("DATA_QUALITY")
        conclusion.get_by_label(re.compile("which was caused by")).first.select_option(
            "FAILED_MIGRATION"
        )
        conclusion.get_by_role("button", name="Save the conclusion").click()
        expect(conclusion.locator("#tree-now")).to_have_text("DATA_QUALITY < FAILED_MIGRATION")

        review.get_by_role("button", name="Publish").click()
        expect(desk.locator("#pm-status")).to_have_text("Published")
        expect(review).to_contain_text("It can no longer be edited.")
        # No editor is left: no section to write or edit, nothing to save, send or publish.
        expect(editors).to_have_count(0)
        expect(main.get_by_role("textbox")).to_have_count(0)
        leftover = desk.get_by_role(
            "button", name=re.compile(r"^(Save|Publish|Send for)"), include_hidden=True
        )
        expect(leftover).to_have_count(0)
        expect(main.get_by_text("Bob forgot to restart the cache.")).to_be_visible()

        desk.set_viewport_size(PHONE)
        expect(desk.locator("#pm-status")).to_be_visible()
        desk.screenshot(path=str(ARTIFACTS / "postmortem-04-published-phone.png"), full_page=True)
        assert_no_sideways_scroll(desk, "published postmortem")
    finally:
        context.close()

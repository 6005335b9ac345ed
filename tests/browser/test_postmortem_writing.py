"""Writing a postmortem loses nothing, in real Chromium against a live server: each part saves
itself as it is typed, leaving with unsaved text asks first, the taxonomy and the people are
picked (with the terms' definitions), and a refusal is shown at its field as a sentence."""

import re

import pytest
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import ActionItem
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.postmortems import services
from incidentdesk.postmortems.models import Postmortem
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations as axe_violations
from tests.browser.test_postmortem import _built_in_terms_and_templates  # noqa: F401 (autouse)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def draft(responder, declare):
    """A draft postmortem of a resolved incident; its page's address."""

    def make(live_server) -> tuple[Postmortem, str]:
        incident = incident_set_status(
            actor=responder,
            source=ActionSource.WEB,
            incident=declare(title="Checkout is failing"),
            status="resolved",
        )
        postmortem = services.postmortem_start(
            actor=responder, source=ActionSource.WEB, incident=incident
        )
        return postmortem, f"{live_server.url}/incidents/{incident.reference}/postmortem"

    return make


def section(page, title: str):
    return page.get_by_role("region", name=title, exact=True)


def saved(status) -> None:
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d$"))


def test_text_typed_in_one_section_survives_saving_another(live_server, page, responder, draft):
    postmortem, url = draft(live_server)
    sign_in(page, live_server.url, responder.username)
    page.goto(url)
    summary = section(page, "Summary").get_by_role("textbox", name="Summary (markdown)")
    lessons = section(page, "Lessons learned").get_by_role(
        "textbox", name="Lessons learned (markdown)"
    )
    summary.press_sequentially("Checkout failed for forty minutes.")
    lessons.fill("Watch the cache hit rate.")
    section(page, "Lessons learned").get_by_role("button", name="Save", exact=True).click()
    saved(page.locator("#save-sections-lessons"))
    saved(page.locator("#save-sections-summary"))
    expect(section(page, "Summary").locator("#saved-summary")).to_have_text(
        "Checkout failed for forty minutes."
    )
    expect(page.get_by_role("navigation", name="Sections").get_by_role("link", name="Summary ✓"))

    page.reload()
    expect(section(page, "Summary").locator("#saved-summary")).to_have_text(
        "Checkout failed for forty minutes."
    )
    expect(section(page, "Lessons learned").locator("#saved-lessons")).to_have_text(
        "Watch the cache hit rate."
    )
    expect(section(page, "Summary").locator("textarea")).to_have_value(
        "Checkout failed for forty minutes."
    )
    postmortem.refresh_from_db()
    assert postmortem.sections["summary"] == "Checkout failed for forty minutes."
    assert postmortem.sections["lessons"] == "Watch the cache hit rate."


def test_typing_on_while_a_save_is_under_way_loses_no_keystroke(
    live_server, page, responder, draft
):
    postmortem, url = draft(live_server)
    sign_in(page, live_server.url, responder.username)
    page.goto(url)
    held, sent = [], []

    def hold(route) -> None:  # the first save waits, unanswered; later ones go through
        sent.append(route.request.post_data)
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/postmortem/edit", hold)
    summary = section(page, "Summary").get_by_role("textbox", name="Summary (markdown)")
    status = page.locator("#save-sections-summary")
    summary.press_sequentially("Checkout failed.")
    expect(status).to_have_text("Saving…")
    summary.press_sequentially(" For forty minutes.")
    section(page, "Summary").get_by_role("button", name="Save", exact=True).click()
    assert len(sent) == 1  # the second save waits for the first
    held[0].continue_()
    saved(status)
    expect(section(page, "Summary").locator("#saved-summary")).to_have_text(
        "Checkout failed. For forty minutes."
    )
    postmortem.refresh_from_db()
    assert postmortem.sections["summary"] == "Checkout failed. For forty minutes."


def test_leaving_with_unsaved_text_asks_first_and_not_after_saving(
    live_server, page, responder, draft
):
    _, url = draft(live_server)
    sign_in(page, live_server.url, responder.username)
    page.goto(url)
    asked: list[str] = []

    def dismiss(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    leave = page.get_by_role("link", name="Incidents", exact=True).first

    # A follow-up half typed is unsaved text: leaving asks, and staying keeps it.
    actions = section(page, "Improvement actions")
    actions.get_by_label("Action", exact=True).fill("Alert when the cache is cold")
    with page.expect_event("dialog"):
        leave.click()
    assert asked == ["beforeunload"]
    expect(page).to_have_url(url)
    expect(actions.get_by_label("Action", exact=True)).to_have_value("Alert when the cache is cold")
    actions.get_by_label("Action", exact=True).fill("")

    # Text the server refused is not saved either.
    summary = section(page, "Summary").get_by_role("textbox", name="Summary (markdown)")
    summary.fill("Broken\x0b text")
    expect(page.locator("#save-sections-summary")).to_contain_text("Not saved")
    with page.expect_event("dialog"):
        leave.click()
    assert asked == ["beforeunload", "beforeunload"]
    expect(page).to_have_url(url)

    # Signed out meanwhile (another tab): the sign-in page is no save.
    page.context.clear_cookies(name="sessionid")
    summary.fill("Checkout failed for everyone.")
    expect(page.locator("#save-sections-summary")).to_have_text(
        re.compile("^Not saved: you are signed out")
    )
    with page.expect_event("dialog"):
        leave.click()
    assert asked == ["beforeunload"] * 3
    expect(page).to_have_url(url)
    sign_in(page.context.new_page(), live_server.url, responder.username)

    # Signed in again in another tab, the next save goes through without reloading; once
    # saved, nothing asks.
    summary.fill("Checkout failed.")
    saved(page.locator("#save-sections-summary"))
    leave.click()
    expect(page).to_have_url(f"{live_server.url}/incidents")
    assert asked == ["beforeunload"] * 3


def test_the_taxonomy_is_picked_from_terms_with_their_definitions(
    live_server, page, responder, draft
):
    postmortem, url = draft(live_server)
    sign_in(page, live_server.url, responder.username)
    page.goto(url)
    conclusion = section(page, "Conclusion")
    principal = conclusion.get_by_label("Principal term")
    # Each term is offered with its definition, and nothing is typed.
    expect(principal.locator("option", has_text="DATA_QUALITY")).to_have_text(
        "DATA_QUALITY — Data in production was wrong, missing or in a shape the system did "
        "not expect."
    )
    expect(conclusion.get_by_role("textbox")).to_have_count(0)
    # By keyboard: focus the picker and type the term's first letters.
    principal.focus()
    page.keyboard.type("DATA")
    expect(principal).to_have_value("DATA_QUALITY")
    expect(principal).to_have_accessible_description(
        re.compile("DATA_QUALITY: Data in production was wrong")
    )
    causes = conclusion.get_by_label(re.compile("which was caused by"))
    causes.first.select_option("FAILED_MIGRATION")
    expect(conclusion.locator("#tax-def-1")).to_contain_text("A schema or data migration failed")
    conclusion.get_by_role("button", name="Save the conclusion").click()
    saved(page.locator("#save-taxonomy"))
    expect(conclusion.locator("#tree-now")).to_have_text("DATA_QUALITY < FAILED_MIGRATION")
    glossary = conclusion.locator("details.pm-glossary")
    glossary.locator("summary").click()
    expect(
        glossary.get_by_text("No alert fired although the failure was measurable.")
    ).to_be_visible()

    page.reload()
    expect(principal).to_have_value("DATA_QUALITY")
    expect(causes.first).to_have_value("FAILED_MIGRATION")
    postmortem.refresh_from_db()
    assert postmortem.taxonomy_tree == "DATA_QUALITY < FAILED_MIGRATION"


def test_owners_and_reviewers_are_picked_from_people(
    live_server, page, responder, manager, make_user, draft
):
    make_user(username="gone", is_active=False)
    postmortem, url = draft(live_server)
    sign_in(page, live_server.url, responder.username)
    page.goto(url)
    actions = section(page, "Improvement actions")
    owner = actions.get_by_label("Owner")
    expect(owner.locator("option", has_text="manny")).to_have_count(1)
    expect(owner.locator("option", has_text="gone")).to_have_count(0)  # only active people
    actions.get_by_label("Action", exact=True).fill("Alert when the cache is cold")
    owner.select_option(manager.username)
    actions.get_by_role("button", name="Add the action").click()
    row = actions.get_by_role("row").filter(has_text="Alert when the cache is cold")
    expect(row.get_by_role("cell").nth(1)).to_have_text(manager.display_name)
    assert ActionItem.objects.get(title="Alert when the cache is cold").owner == manager

    review = page.get_by_role("region", name="Review")
    reviewers = review.get_by_role("group", name="Reviewers")
    expect(reviewers.get_by_role("checkbox", name=re.compile("gone"))).to_have_count(0)
    reviewers.get_by_role("checkbox", name=re.compile(manager.username)).check()
    review.get_by_role("button", name="Send for review").click()
    expect(page.locator("#pm-status")).to_have_text("In review")
    assert list(Postmortem.objects.get(pk=postmortem.pk).reviewers.all()) == [manager]


def test_a_refused_value_is_said_at_its_field(
    live_server, page, chromium, responder, manager, draft
):
    postmortem, url = draft(live_server)
    sign_in(page, live_server.url, responder.username)
    page.goto(url)

    # A part that saves as it is typed: the refusal is under the field and describes it.
    summary = section(page, "Summary").get_by_role("textbox", name="Summary (markdown)")
    summary.fill("Broken\x0b text")
    error = section(page, "Summary").locator("#err-sections-summary")
    expect(error).to_have_text(
        "Contains the character U+000B, a control character, which text cannot carry; remove it."
    )
    expect(page.locator("#save-sections-summary")).to_have_text(
        re.compile("^Not saved: Contains the character U\\+000B")
    )
    expect(summary).to_have_attribute("aria-invalid", "true")
    expect(summary).to_have_accessible_description(re.compile("Contains the character U\\+000B"))
    summary.fill("Checkout failed.")
    saved(page.locator("#save-sections-summary"))
    expect(error).to_have_text("")
    expect(summary).not_to_have_attribute("aria-invalid", "true")

    # No longer allowed to edit (made a viewer meanwhile): why is said where the part is.
    responder.role = "viewer"
    responder.save(update_fields=["role"])
    summary.fill("Checkout failed, viewed.")
    expect(page.locator("#save-sections-summary")).to_have_text(
        re.compile(r"^Not saved: (?!see the message).+\.$")
    )
    responder.role = "responder"
    responder.save(update_fields=["role"])

    # Someone else saved the same section meanwhile: it is not overwritten.
    other = chromium.new_context(viewport=SIZES["desktop"])
    try:
        theirs = other.new_page()
        sign_in(theirs, live_server.url, manager.username)
        theirs.goto(url)
        section(theirs, "Summary").get_by_text("Edit “Summary”").click()
        their_summary = section(theirs, "Summary").get_by_role("textbox", name="Summary (markdown)")
        their_summary.fill("Checkout failed for everyone in Europe.")
        saved(theirs.locator("#save-sections-summary"))
    finally:
        other.close()
    summary.fill("Checkout failed for some.")
    expect(error).to_contain_text("Someone else saved a change to this part after you opened")
    expect(summary).to_have_value("Checkout failed for some.")  # the writer's text stays
    # and theirs shows above it, to merge.
    expect(section(page, "Summary").locator("#saved-summary")).to_have_text(
        "Checkout failed for everyone in Europe."
    )
    section(page, "Summary").screenshot(path=str(ARTIFACTS / "postmortem-conflict.png"))
    postmortem.refresh_from_db()
    assert postmortem.sections["summary"] == "Checkout failed for everyone in Europe."

    # A form that sends the page: the page comes back with the error under the field and
    # what was typed kept.
    actions = section(page, "Improvement actions")
    actions.get_by_label("Action", exact=True).fill("Alert when the cache is cold")
    actions.get_by_label("Owner").select_option(responder.username)
    actions.get_by_label("Due").fill("2020-01-01")
    page.once("dialog", lambda dialog: dialog.accept())  # the summary above is still unsaved
    actions.get_by_role("button", name="Add the action").click()
    due_error = actions.locator("#err-followup_due_date")
    expect(due_error).to_have_text("Must not be in the past.")
    expect(actions.get_by_label("Due")).to_have_attribute("aria-invalid", "true")
    expect(actions.get_by_label("Action", exact=True)).to_have_value("Alert when the cache is cold")
    expect(actions.get_by_label("Owner")).to_have_value(responder.username)
    actions.screenshot(path=str(ARTIFACTS / "postmortem-followup-refused.png"))
    assert not ActionItem.objects.filter(title="Alert when the cache is cold").exists()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_writing_page_passes_axe_with_the_picker_open_and_an_error(
    live_server, chromium, responder, draft, scheme, size
):
    _, url = draft(live_server)
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, live_server.url, responder.username)
        page.goto(url)
        assert axe_violations(page) == [], "the page"
        conclusion = section(page, "Conclusion")
        conclusion.get_by_label("Principal term").select_option("MISSING_ALERT")
        conclusion.locator("details.pm-glossary summary").click()
        saved(page.locator("#save-taxonomy"))
        conclusion.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"postmortem-picker-{scheme}-{size}.png"))
        assert axe_violations(page) == [], "the taxonomy picker open"
        summary = section(page, "Summary")
        summary.get_by_role("textbox", name="Summary (markdown)").fill("Broken\x0b text")
        expect(summary.locator("#err-sections-summary")).not_to_be_empty()
        summary.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / f"postmortem-error-{scheme}-{size}.png"))
        assert axe_violations(page) == [], "an error at a field"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], "the page scrolls sideways"
        summary.get_by_role("textbox", name="Summary (markdown)").fill("Checkout failed.")
        saved(page.locator("#save-sections-summary"))
        page.screenshot(
            path=str(ARTIFACTS / f"postmortem-writing-{scheme}-{size}.png"), full_page=True
        )
    finally:
        context.close()

"""Similar past incidents in real Chromium: typing a title on the declare page shows an earlier
incident like it, the incident page's "Seen before" panel lists it, and its links reach the
postmortem; both pass axe-core in light and dark, at desktop and phone width."""

from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import expect

from incidentdesk.incidents.models import ActionItem, ActionPhase, Component, IncidentStatus
from incidentdesk.postmortems.defaults import ensure_built_in_templates, ensure_built_in_terms
from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate, TaxonomyTerm
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.factories import IncidentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(autouse=True)
def _built_in_terms_and_templates(transactional_db):
    """The live server's tests flush the tables, data migrations' rows included."""
    ensure_built_in_terms(TaxonomyTerm)
    ensure_built_in_templates(PostmortemTemplate)


@pytest.fixture
def earlier(transactional_db):
    """A resolved incident with a postmortem, its cause and a follow-up, and one that is not
    like it."""
    payments = Component.objects.create(name="Payments")
    moment = timezone.now() - timedelta(days=40)
    incident = IncidentFactory(
        title="Card payments declined during the acquirer outage",
        summary="Most card payments failed at checkout for 70 minutes.",
        status=IncidentStatus.RESOLVED,
        declared_at=moment,
        resolved_at=moment + timedelta(hours=1),
    )
    incident.components.set([payments])
    Postmortem.objects.create(
        incident=incident,
        template=PostmortemTemplate.objects.get(key="blameless"),
        sections={"cause": "Our only acquirer failed and there was no second one."},
        taxonomy_principal="THIRD_PARTY_ERROR",
        taxonomy_tree="THIRD_PARTY_ERROR",
    )
    ActionItem.objects.create(
        incident=incident, title="Add a second acquirer", phase=ActionPhase.FOLLOW_UP
    )
    IncidentFactory(title="Search index rebuild took all night", status=IncidentStatus.RESOLVED)
    return incident


def violations(page, context: str) -> list:
    found = Axe().run(page, context=context).response["violations"]
    return [(v["id"], [node["target"] for node in v["nodes"]][:3]) for v in found]


def test_typing_a_title_shows_a_similar_past_incident_whose_postmortem_is_one_click_away(
    live_server, page, responder, earlier
):
    base = live_server.url
    sign_in(page, base, responder.username)
    page.goto(base + "/incidents/new")
    page.get_by_label("Title").first.press_sequentially("Card payments failing")
    preview = page.locator("#similar-preview")
    expect(preview.get_by_role("link", name=earlier.title)).to_be_visible()
    expect(preview).to_contain_text("Why similar:")
    expect(preview).to_contain_text("THIRD_PARTY_ERROR")
    expect(preview).not_to_contain_text("Search index rebuild")
    preview.get_by_role("link", name=f"Postmortem of {earlier.reference}").click()
    expect(page).to_have_url(f"{base}/incidents/{earlier.reference}/postmortem")


def test_the_incident_page_panel_lists_it_and_its_links_reach_the_postmortem(
    live_server, page, responder, declare, earlier
):
    incident = declare(title="Card payments declined again", components=["Payments"])
    base = live_server.url
    sign_in(page, base, responder.username)
    page.goto(f"{base}/incidents/{incident.reference}")
    panel = page.get_by_role("region", name="Seen before")
    expect(panel.get_by_role("link", name=earlier.title)).to_be_visible()
    expect(panel).to_contain_text("shared component Payments")
    expect(panel).to_contain_text("1 follow-up")
    panel.get_by_role("link", name=f"1 follow-up of {earlier.reference}").click()
    expect(page).to_have_url(f"{base}/incidents/{earlier.reference}/postmortem#followups")
    page.go_back()
    panel.get_by_role("link", name="THIRD_PARTY_ERROR").click()
    expect(page).to_have_url(f"{base}/incidents/{earlier.reference}/postmortem#section-cause")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_preview_and_the_panel_pass_axe(
    live_server, chromium, responder, declare, earlier, scheme, size
):
    incident = declare(title="Card payments declined again", components=["Payments"])
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    try:
        base = live_server.url
        sign_in(page, base, responder.username)
        page.goto(base + "/incidents/new")
        page.get_by_label("Title").first.press_sequentially("Card payments failing")
        # The open incident declared above is like it too: the preview shows both.
        expect(page.locator("#similar-preview .similar-item")).to_have_count(2)
        assert violations(page, "#similar-preview") == [], "the declare page's preview"
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#similar-preview").screenshot(
            path=str(ARTIFACTS / f"similar-preview-{scheme}-{size}.png")
        )
        page.goto(f"{base}/incidents/{incident.reference}")
        expect(page.locator("#similar .similar-item")).to_have_count(1)
        assert violations(page, "#similar") == [], "the incident page's panel"
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], "the incident page scrolls sideways"
        page.locator("#similar").screenshot(
            path=str(ARTIFACTS / f"similar-panel-{scheme}-{size}.png")
        )
        page.screenshot(
            path=str(ARTIFACTS / f"similar-incident-page-{scheme}-{size}.png"), full_page=True
        )
        # Without JavaScript the panel links to its list as a page of its own.
        page.goto(f"{base}/incidents/{incident.reference}/similar")
        expect(page.get_by_role("heading", name="Seen before", level=1)).to_be_visible()
        assert violations(page, "#main") == [], "the list as a page"
    finally:
        context.close()

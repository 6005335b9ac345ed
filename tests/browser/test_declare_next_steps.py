"""The incident page's next steps in real Chromium: each appears while it applies, works with
one click (or opens the form its words are written in), and disappears once done; the page
with the panel passes axe-core in light and dark at desktop and phone width."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidentdesk.accounts.models import Role
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import IncidentConversation
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident, IncidentRole
from incidentdesk.incidents.services import incident_set_status
from incidentdesk.oncall.models import Page
from incidentdesk.oncall.policies import policy_create
from incidentdesk.postmortems.defaults import ensure_built_in_templates
from incidentdesk.postmortems.models import Postmortem, PostmortemTemplate
from incidentdesk.statuspage.models import PublicIncident
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations
from tests.browser.test_declare_quick import SIZES
from tests.chat import slack_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEB = ActionSource.WEB
standin = slack_fixtures.standin
slack = slack_fixtures.slack


@pytest.fixture(autouse=True)
def _built_in_templates(transactional_db):
    """The live server's tests flush the tables, data migrations' rows included: put the
    built-in postmortem templates back (the start offers the blameless one)."""
    ensure_built_in_templates(PostmortemTemplate)


def declare_in_the_browser(page, base: str, *, lead: bool) -> Incident:
    """Declared as trivial: a level that does not page by itself."""
    page.goto(base + "/incidents/new")
    page.get_by_label("Title").fill("Checkout returns 502")
    page.get_by_label("Severity").select_option("trivial")
    page.get_by_label(re.compile("immediate response", re.I)).check()
    if not lead:
        page.get_by_label("I'll lead this").uncheck()
    page.get_by_role("button", name="Declare incident").click()
    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{4}-\d{4}$"))
    return Incident.objects.order_by("-pk").first()


def steps(page):
    return page.locator("#next-steps")


def test_after_declaring_the_lead_paging_and_publishing_are_each_one_click(
    live_server, page, responder, manager, make_user
):
    make_user(Role.RESPONDER, username="ana")
    policy_create(
        actor=manager,
        source=WEB,
        name="Ops",
        repeat=0,
        is_default=True,
        steps=[{"target": "person", "person": "ana", "wait_minutes": 5}],
    )
    base = live_server.url
    sign_in(page, base, responder.username)
    incident = declare_in_the_browser(page, base, lead=False)

    panel = steps(page)
    panel.get_by_role("button", name="Take the lead", exact=True).click()
    expect(page.locator("#roles")).to_contain_text(responder.display_name)
    expect(steps(page).get_by_role("button", name="Take the lead", exact=True)).to_have_count(0)
    lead = incident.role_history.get(role=IncidentRole.LEAD)
    assert lead.user == responder

    steps(page).get_by_role("button", name="Page the on-call lead", exact=True).click()
    expect(
        steps(page).get_by_role("button", name="Page the on-call lead", exact=True)
    ).to_have_count(0)
    assert Page.objects.get(incident=incident).policy.name == "Ops"

    steps(page).get_by_role("link", name="Publish on the status page", exact=True).click()
    name = page.get_by_label("Public name")
    expect(name).to_be_visible()
    expect(name).to_be_focused()
    name.fill("Checkout is failing for some customers")
    page.locator("#statuspage").get_by_label("Message").fill("We are looking into it.")
    page.locator("#statuspage").get_by_role("button", name="Publish", exact=True).click()
    expect(page.locator("#statuspage")).to_contain_text("Checkout is failing for some customers")
    expect(page.locator("#next-steps")).to_be_hidden()  # nothing left to offer

    # Quiet for longer than the severity's reminder interval: an update is asked for.
    interval = incident.severity.reminder_interval_minutes
    PublicIncident.objects.filter(incident=incident).update(
        last_update_at=timezone.now() - timedelta(minutes=interval + 1)
    )
    page.reload()
    steps(page).get_by_role("link", name="Post a public update", exact=True).click()
    # The update's form is open, with the focus on its first field.
    expect(page.locator("#statuspage details[open] > summary")).to_have_text("Post a public update")
    around = "document.activeElement.closest('details[open]').querySelector('summary').textContent"
    assert page.evaluate(around) == "Post a public update"


def test_declaring_with_the_lead_offers_no_lead(live_server, page, responder):
    sign_in(page, live_server.url, responder.username)
    declare_in_the_browser(page, live_server.url, lead=True)
    expect(
        steps(page).get_by_role("link", name="Publish on the status page", exact=True)
    ).to_be_visible()
    expect(steps(page).get_by_role("button", name="Take the lead", exact=True)).to_have_count(0)


def test_a_chat_channel_is_one_click_once_a_platform_is_set_up(
    live_server, page, responder, slack, standin, declare
):
    incident = declare(lead=True)
    base = live_server.url
    sign_in(page, base, responder.username)
    page.goto(f"{base}/incidents/{incident.reference}")
    expect(steps(page).get_by_role("button", name="Open a chat channel", exact=True)).to_have_count(
        0
    )
    platforms.register_platform("slack", lambda: slack)
    try:
        page.reload()
        steps(page).get_by_role("button", name="Open a chat channel", exact=True).click()
        expect(page.get_by_role("link", name="Chat", exact=True)).to_be_visible()
        link = IncidentConversation.objects.get(incident=incident)
        assert link.conversation in standin.channels
        expect(
            steps(page).get_by_role("button", name="Open a chat channel", exact=True)
        ).to_have_count(0)
    finally:
        platforms.unregister_platform("slack")


def test_after_resolving_the_postmortem_and_its_meeting_are_one_click_each(
    live_server, page, responder, declare
):
    incident = declare(lead=True)
    incident_set_status(actor=responder, source=WEB, incident=incident, status="resolved")
    base = live_server.url
    sign_in(page, base, responder.username)
    page.goto(f"{base}/incidents/{incident.reference}")
    expect(
        steps(page).get_by_role("link", name="Schedule the root-cause meeting", exact=True)
    ).to_have_count(0)
    steps(page).get_by_role("button", name="Start the postmortem", exact=True).click()
    expect(page).to_have_url(
        re.compile(rf"/incidents/{incident.reference}/postmortem$"), timeout=15_000
    )
    assert Postmortem.objects.filter(incident=incident).exists()

    page.goto(f"{base}/incidents/{incident.reference}")
    expect(
        steps(page).get_by_role("button", name="Start the postmortem", exact=True)
    ).to_have_count(0)
    steps(page).get_by_role("link", name="Schedule the root-cause meeting", exact=True).click()
    expect(page).to_have_url(re.compile(r"/postmortem\?open=meeting#meeting$"))
    expect(page.locator("#mt-start")).to_be_focused()


def test_not_now_hides_a_step_on_that_incident(live_server, page, responder, declare):
    incident = declare()
    base = live_server.url
    sign_in(page, base, responder.username)
    page.goto(f"{base}/incidents/{incident.reference}")
    steps(page).get_by_role("button", name="Not now: Take the lead").click()
    expect(page.locator("#next-steps")).to_be_visible()
    expect(steps(page).get_by_role("button", name="Take the lead", exact=True)).to_have_count(0)
    assert not incident.role_history.filter(role=IncidentRole.LEAD).exists()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_incident_page_with_its_next_steps_passes_axe(
    live_server, chromium, responder, declare, scheme, size
):
    incident = declare(title="Card payments failing", severity="critical")
    resolved = declare(title="Search was slow", severity="major", lead=True)
    incident_set_status(actor=responder, source=WEB, incident=resolved, status="resolved")
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        sign_in(page, live_server.url, responder.username)
        for shown, name in ((incident, "declared"), (resolved, "resolved")):
            page.goto(f"{live_server.url}/incidents/{shown.reference}")
            expect(page.locator("#next-steps")).to_be_visible()
            assert violations(page) == [], f"incident page, next steps ({name})"
            page.screenshot(
                path=str(ARTIFACTS / f"next-steps-{name}-{size}-{scheme}.png"), full_page=False
            )
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= SIZES[size]["width"], f"the page scrolls sideways ({width}px)"
    finally:
        context.close()


def test_a_step_done_elsewhere_on_the_page_leaves_without_a_reload(
    live_server, page, responder, declare
):
    incident = declare()
    sign_in(page, live_server.url, responder.username)
    page.goto(f"{live_server.url}/incidents/{incident.reference}")
    offer = steps(page).get_by_role("button", name="Take the lead", exact=True)
    expect(offer).to_be_visible()
    page.locator("#roles").get_by_role("button", name="Take lead", exact=True).click()
    expect(page.locator("#roles")).to_contain_text(responder.display_name)
    expect(offer).to_have_count(0)
    expect(page.locator("#next-steps")).to_be_visible()  # publishing is still to do

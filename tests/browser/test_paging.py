"""The paging pages pass axe-core in light and dark, at desktop and phone width: escalation
policies (the list, the form with a refused step), Pages, the incident page's Paging panel
(paging the on-call lead and acknowledging in the browser) and the contact methods of My
on-call."""

import re

import pytest
from playwright.sync_api import expect

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.contacts import contact_method_add
from incidentdesk.oncall.models import Page, PageStatus
from incidentdesk.oncall.paging import page_create
from incidentdesk.oncall.policies import policy_create
from incidentdesk.oncall.services import schedule_create
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import SIZES, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEB = ActionSource.WEB


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_paging_pages_pass_axe(
    live_server, chromium, manager, make_user, declare, scheme, size
):
    make_user(Role.RESPONDER, username="ana")
    schedule_create(actor=manager, source=WEB, name="Primary", time_zone="Europe/Berlin")
    policy_create(
        actor=manager,
        source=WEB,
        name="Ops",
        description="Payments and checkout",
        repeat=1,
        is_default=True,
        steps=[
            {"target": "schedule", "schedule": "Primary", "wait_minutes": 10},
            {"target": "person", "person": "ana", "wait_minutes": 5},
        ],
    )
    incident = declare(actor=manager, title="Card payments failing", severity="trivial")
    unanswered = page_create(actor=manager, source=WEB, person="ana", summary="Disk full on db-2")
    Page.objects.filter(pk=unanswered.pk).update(
        status=PageStatus.EXHAUSTED, outcome="nobody acknowledged after step 1 of 1"
    )
    contact_method_add(
        actor=manager, source=WEB, user=manager, kind="sms", address="+4930123456789"
    )
    contact_method_add(
        actor=manager, source=WEB, user=manager, kind="email", address="manny@example.org"
    )
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    ARTIFACTS.mkdir(exist_ok=True)

    def shot(name):
        page.screenshot(path=str(ARTIFACTS / f"paging-{name}-{size}-{scheme}.png"), full_page=True)

    try:
        base = live_server.url
        sign_in(page, base, manager.username)
        page.goto(base + "/oncall/policies")
        expect(page.get_by_text("on call in Primary")).to_be_visible()
        assert violations(page) == [], "policies"
        shot("policies")

        page.get_by_role("link", name="Add a policy").click()
        page.locator("#id_name").fill("Nights")
        page.locator("#s-name-1").fill("nobody-here")
        page.get_by_role("button", name="Save the policy").click()
        expect(page.locator("#step-error")).to_contain_text(re.compile("step 1", re.I))
        assert violations(page) == [], "refused policy"
        shot("policy-refused")

        page.goto(base + "/oncall/pages")
        expect(page.get_by_text("nobody acknowledged after step 1 of 1")).to_be_visible()
        assert violations(page) == [], "pages"
        shot("pages")

        page.goto(f"{base}/incidents/{incident.reference}")
        panel = page.locator("#paging")
        panel.get_by_role("button", name="Page the on-call lead").click()
        expect(panel.get_by_text("Escalating")).to_be_visible()
        assert violations(page) == [], "incident panel, escalating"
        panel.get_by_role("button", name="Acknowledge").click()
        expect(panel.get_by_text(f"Acknowledged by {manager.display_name}")).to_be_visible()
        assert violations(page) == [], "incident panel, acknowledged"
        shot("incident-panel")
        sent = Page.objects.get(incident=incident)
        assert (sent.status, sent.acknowledged_by) == (PageStatus.ACKNOWLEDGED, manager)

        page.goto(base + "/oncall/me")
        section = page.locator("#contact-methods")
        expect(section.get_by_text("+4930123456789", exact=True)).to_be_visible()
        section.get_by_role("button", name="Down SMS +4930123456789").click()
        expect(section.locator("li").first).to_contain_text("manny@example.org")
        section.get_by_text("Add a contact method").click()
        section.get_by_label("Address").fill("not an address")
        section.get_by_role("button", name="Add", exact=True).click()
        expect(page.locator("#id_address_error")).to_be_visible()
        assert violations(page) == [], "contact methods"
        shot("contact-methods")
    finally:
        context.close()

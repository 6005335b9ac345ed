"""A fresh install's dashboard, in Chromium: the admin sees the set-up checklist saying mail is
not configured, with a link to the fix, at desktop and phone width, light and dark, and the
page passes axe-core; the incident page's desk says the desk was not told. Screenshots in
test-artifacts/."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from incidentdesk.accounts.models import Role
from tests.browser.conftest import ARTIFACTS, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


def _violations(page, where: str) -> list:
    found = Axe().run(page, context=where).response["violations"]
    return [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in found]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_fresh_install_says_mail_is_not_configured_on_the_dashboard(
    live_server, chromium, settings, make_user, scheme, size
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    admin = make_user(Role.ADMIN, username="ada", is_staff=True, on_responders_desk=True)
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, admin.username)
        page.goto(live_server.url + "/dashboard")
        checklist = page.locator("#setup")
        expect(checklist).to_be_visible()
        mail = checklist.locator("#setup-mail")
        expect(mail).to_contain_text("Mail is not configured")
        expect(mail).to_contain_text("EMAIL_HOST")
        expect(checklist.locator("#setup-desk")).to_contain_text(
            "1 person is on the responders desk"
        )
        mail.get_by_role("link", name="Go to see what was not sent").click()
        expect(page).to_have_url(live_server.url + "/notifications/deliveries")
        page.go_back()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"]
        assert _violations(page, "#setup") == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"dashboard-setup-{size}-{scheme}.png"), full_page=True
        )
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_desk_block_says_nobody_was_told_without_mail(
    live_server, chromium, settings, make_user, declare, scheme
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    make_user(Role.RESPONDER, username="dana", email="dana@example.com", on_responders_desk=True)
    incident = declare(title="Checkout down")
    viewer = incident.created_by
    context = chromium.new_context(viewport=SIZES["phone"], color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, viewer.username)
        page.goto(f"{live_server.url}/incidents/{incident.reference}")
        desk = page.locator("#desk")
        expect(desk).to_contain_text("Mail is not configured: nobody at the desk is told by email.")
        expect(desk).to_contain_text("not told: mail is not configured")
        assert _violations(page, "#desk") == []
        desk.screenshot(path=str(ARTIFACTS / f"desk-not-told-phone-{scheme}.png"))
    finally:
        context.close()

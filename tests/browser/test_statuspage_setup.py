"""Setting the status page up from where you are, in real Chromium against a live server:
naming the page and uploading its logo on the status page screen (a refused file says why at
the field), seeing both on the public page, and publishing an incident while creating the
component it affects. The screens pass axe-core in light and dark, at desktop and phone width."""

import io
import re

import pytest
from django.urls import include, path
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.incidents.services import incident_update
from incidentdesk.statuspage.appearance import page_settings_set
from incidentdesk.statuspage.models import PageSettings
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations
from tests.factories import ComponentFactory

urlpatterns = [
    path("", include("incidentdesk.statuspage.subscribe_urls")),
    path("", include("incidentdesk.config.urls")),
]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.urls(__name__),
]

SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}
SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><rect width="9" height="9"/></svg>'
)


def logo_png() -> bytes:
    image = Image.new("RGBA", (240, 64), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, 63, 63), radius=14, fill=(37, 99, 235, 255))
    draw.rounded_rectangle((76, 18, 236, 46), radius=8, fill=(100, 116, 139, 255))
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def file(name: str, mime: str, data: bytes) -> dict:
    return {"name": name, "mimeType": mime, "buffer": data}


def test_a_manager_names_the_page_uploads_a_logo_and_the_public_page_shows_both(
    live_server, page, screenshot, manager
):
    base = live_server.url
    sign_in(page, base, manager.username)
    page.goto(base + "/statuspage/")
    card = page.locator("#page")

    # An SVG, then a file that is no image: each refused with its reason at the field.
    card.get_by_label("Page name").fill("Acme Cloud")
    card.get_by_label("Logo", exact=True).set_input_files(file("logo.svg", "image/svg+xml", SVG))
    card.get_by_role("button", name="Save page").click()
    error = page.locator("#page_logo_error")
    expect(error).to_contain_text("SVG is refused because it can carry scripts")
    screenshot("statuspage-setup-01-logo-refused")
    page.locator("#page").get_by_label("Logo", exact=True).set_input_files(
        file("notes.png", "image/png", b"this is not an image")
    )
    page.locator("#page").get_by_role("button", name="Save page").click()
    expect(page.locator("#page_logo_error")).to_contain_text(
        re.compile("must be a PNG, JPEG or WebP image", re.IGNORECASE)
    )
    assert PageSettings.load().name == "Status" and not PageSettings.load().logo_format

    card = page.locator("#page")
    card.get_by_label("Page name").fill("Acme Cloud")
    card.get_by_label("Logo", exact=True).set_input_files(file("acme.png", "image/png", logo_png()))
    card.get_by_role("button", name="Save page").click()
    expect(page.locator(".messages")).to_contain_text("The public page is now “Acme Cloud”.")
    expect(page.locator("#page img")).to_have_attribute("alt", "Current logo of Acme Cloud")
    screenshot("statuspage-setup-02-page-saved")

    page.goto(base + "/")
    expect(page).to_have_title("Acme Cloud")
    logo = page.get_by_role("link", name="Acme Cloud").locator("img.sp-logo")
    expect(logo).to_have_attribute("alt", "Acme Cloud")
    expect(logo).to_be_visible()
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 240
    screenshot("statuspage-setup-03-public-with-logo")


def test_a_manager_publishes_creating_the_component_the_incident_affects(
    live_server, page, screenshot, manager, declare
):
    ComponentFactory(name="Payments")
    ComponentFactory(name="API")
    incident = declare(title="Card processor timeouts (internal)")
    incident_update(
        actor=manager, source=ActionSource.WEB, incident=incident, changes={"components": ["API"]}
    )
    base = live_server.url
    sign_in(page, base, manager.username)
    page.goto(f"{base}/incidents/{incident.reference}")
    panel = page.locator("#statuspage")
    panel.get_by_text("Publish on the status page").click()
    # The form starts from the incident's components.
    expect(panel.get_by_label("API", exact=True)).to_have_value("degraded_performance")
    panel.get_by_label("Public name").fill("Card payments failing")
    panel.get_by_label("Message").fill("Some card payments fail. We are on it.")
    panel.get_by_label("New component").fill("Card processing")
    panel.get_by_label("In group").select_option(label="Payments")
    panel.get_by_label("Its public status").select_option("major_outage")
    screenshot("statuspage-setup-04-publish-new-component")
    panel.get_by_role("button", name="Publish").click()
    expect(page.locator(".messages")).to_contain_text("Published on the status page.")
    expect(panel).to_contain_text("Card processing: major outage")
    expect(panel).to_contain_text("API: degraded performance")
    created = Component.objects.get(name="Card processing")
    assert created.group.name == "Payments"
    assert set(incident.components.values_list("name", flat=True)) == {"API", "Card processing"}
    screenshot("statuspage-setup-05-published-panel")

    page.goto(base + "/")
    expect(page.locator("body")).to_contain_text("Card processing")
    expect(page.locator("body")).not_to_contain_text("internal")


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_setup_screens_pass_axe(live_server, chromium, manager, declare, scheme, size):
    ComponentFactory(name="Payments")
    page_settings_set(actor=manager, source=ActionSource.WEB, name="Acme Cloud", logo=logo_png())
    incident = declare(title="Card processor timeouts", components=["Payments"])
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    shot = f"statuspage-setup-axe-{size}-{scheme}"
    try:
        base = live_server.url
        page.goto(base + "/")
        expect(page.locator("img.sp-logo")).to_be_visible()
        assert violations(page) == [], "public page with logo"
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.screenshot(path=str(ARTIFACTS / f"{shot}-public.png"), full_page=True)
        sign_in(page, base, manager.username)
        page.goto(base + "/statuspage/")
        assert violations(page) == [], "status page screen"
        page.locator("#page").screenshot(path=str(ARTIFACTS / f"{shot}-page-card.png"))
        page.goto(f"{base}/incidents/{incident.reference}")
        page.locator("#statuspage").get_by_text("Publish on the status page").click()
        assert violations(page) == [], "publish form"
        assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
        page.locator("#statuspage").screenshot(path=str(ARTIFACTS / f"{shot}-publish.png"))
    finally:
        context.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_without_mail_the_subscribe_pages_offer_no_email_and_pass_axe(
    live_server, chromium, manager, settings, scheme, size
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = ""
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    try:
        base = live_server.url
        for path in ("/", "/subscribe"):
            page.goto(base + path)
            expect(page.locator("#sub-no-email")).to_contain_text("Email updates are not available")
            expect(page.get_by_label("Email address")).to_have_count(0)
            assert violations(page) == [], path
        page.screenshot(
            path=str(ARTIFACTS / f"statuspage-setup-no-mail-{size}-{scheme}.png"), full_page=True
        )
    finally:
        context.close()

"""A newcomer's first incident, in real Chromium against a live server."""

import re

import pytest
from playwright.sync_api import expect

from incidentdesk.incidents.models import Incident, IncidentRole, TimelineEntry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_newcomer_creates_admin_declares_takes_lead_and_notes_through_the_command_box(
    live_server, page, screenshot
):
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/setup$"))
    screenshot("01-setup")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.com")
    page.locator("#id_password").fill("a-long-enough-passphrase")
    page.locator("#id_password_again").fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Create admin account").click()
    expect(page.get_by_role("link", name=re.compile("Declare", re.I)).first).to_be_visible()

    # Sign out and back in, as one would on another day.
    page.get_by_role("button", name=re.compile("Sign out")).click()
    expect(page).to_have_url(re.compile(r"/login"))
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("a-long-enough-passphrase")
    screenshot("02-login")
    page.get_by_role("button", name="Sign in").click()
    screenshot("03-dashboard-empty")

    page.goto(live_server.url + "/incidents/new")
    page.get_by_label("Title").fill("Checkout returns 502 for EU customers")
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label(re.compile("immediate response", re.I)).check()
    # "I'll lead this" is ticked: declaring makes ada the lead.
    expect(page.get_by_label("I'll lead this")).to_be_checked()
    screenshot("04-declare")
    page.get_by_role("button", name="Declare incident").click()

    expect(page).to_have_url(re.compile(r"/incidents/INC-\d{4}-0001$"))
    incident = Incident.objects.get()
    expect(page.locator("#roles")).to_contain_text("ada")

    command = page.get_by_role("textbox", name="Command")
    command.fill("note Rolled back the load balancer config")
    command.press("Enter")
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Rolled back the load balancer config")
    screenshot("05-incident")

    assert incident.role_history.filter(role=IncidentRole.LEAD, user__username="ada").exists()
    note = TimelineEntry.objects.get(incident=incident, kind="note")
    assert note.source == "web" and note.author.username == "ada"
    incident.refresh_from_db()
    assert incident.acknowledged_at is not None


def test_phone_width_incident_page_keeps_the_command_box_usable(
    live_server, page, screenshot, admin
):
    from incidentdesk.core.sources import ActionSource
    from incidentdesk.incidents.services import incident_declare

    incident = incident_declare(
        actor=admin,
        source=ActionSource.WEB,
        title="Search is slow",
        severity="major",
        criteria=["degraded_experience"],
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/login")
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server.url}/incidents/{incident.reference}")
    command = page.get_by_role("textbox", name="Command")
    expect(command).to_be_visible()
    command.fill("decision Add a search replica")
    command.press("Enter")
    expect(page.locator("#timeline")).to_contain_text("Add a search replica")
    screenshot("06-incident-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px wide)"

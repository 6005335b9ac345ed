"""The triage pages of email reports pass axe-core in light and dark, at desktop and phone
width (the queue, a report with attachments and a reply, a refused dismissal), and a
responder declares an incident from a report in a real browser."""

import pytest

from incidentdesk.alerts import reports
from incidentdesk.alerts.models import Report
from incidentdesk.alerts.services import integration_create
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Incident
from tests.alerts import mails
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import SIZES, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _queue(admin) -> Report:
    mailbox, _ = integration_create(actor=admin, source=ActionSource.CLI, kind="email", name="help")
    for raw in (mails.html_only(), mails.iso_2022_jp(), mails.forwarded()):
        reports.report_receive(integration=mailbox, raw=raw)
    report = reports.report_receive(integration=mailbox, raw=mails.with_attachments()).report
    reports.report_receive(
        integration=mailbox,
        raw=mails.reply(
            in_reply_to=report.message_id,
            sender="ola@example.no",
            name="Ola Nordmann",
            text="Still broken after a reload; a very-long-unbroken-line-" + "x" * 120,
        ),
    )
    return report


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_triage_pages_pass_axe(live_server, chromium, admin, responder, scheme, size):
    report = _queue(admin)
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    tag = f"reports-{size}-{scheme}"
    try:
        base = live_server.url
        sign_in(page, base, responder.username)
        for path, name in (
            ("/alerts/reports", "queue"),
            (f"/alerts/reports/{report.pk}", "report"),
        ):
            page.goto(base + path)
            assert violations(page) == [], path
            _shot(page, f"{tag}-{name}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= SIZES[size]["width"], "the page scrolls sideways"
        page.get_by_text("Dismiss…").click()
        page.get_by_role("button", name="Dismiss").click()
        assert page.get_by_text("This field is required").first.is_visible()
        assert violations(page) == [], "refused dismissal"
        _shot(page, f"{tag}-dismiss-refused")
    finally:
        context.close()


def test_a_responder_declares_an_incident_from_a_report_in_the_browser(
    live_server, page, admin, responder
):
    report = _queue(admin)
    base = live_server.url
    sign_in(page, base, responder.username)
    page.goto(base + "/alerts/")
    page.get_by_role("link", name="Reports by email").click()
    page.get_by_role("link", name="Invoices page shows an error").click()
    page.get_by_text("Declare an incident…").click()
    page.get_by_label("Severity").select_option("critical")
    page.get_by_label("Affects, or may affect, at least two users").check()
    page.get_by_role("button", name="Declare", exact=True).click()
    incident = Incident.objects.get()
    page.wait_for_url(f"**/incidents/{incident.reference}")
    assert page.get_by_text(f"Declared from email report {report.reference}").first.is_visible()
    assert incident.reported_by == "Ola Nordmann <ola@example.no>"
    assert incident.report_medium == "email" and incident.severity.key == "critical"


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

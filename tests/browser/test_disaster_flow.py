"""A disaster from end to end in real Chromium: a manager escalates an incident to a disaster
from the incident page, moves Billing read-only (reviewing the public change the move offers),
restoring and verifying, completes its runbook, passes the verification gate and restores it
while the public status page follows; business as usual is refused until the incident is
resolved and its postmortem published, then resumed. Each page passes axe-core; the control
room, the move form, the incident panel and the admin pages are shot at desktop and phone
width, light and dark."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from incidentdesk.accounts.models import Role
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.postmortems.defaults import ensure_built_in_templates, ensure_built_in_terms
from incidentdesk.postmortems.models import PostmortemTemplate, TaxonomyTerm
from incidentdesk.postmortems.services import postmortem_edit, postmortem_review, postmortem_start
from incidentdesk.recovery.models import Disaster, RunbookStep
from incidentdesk.recovery.runbooks import runbook_template_create
from incidentdesk.recovery.services import disaster_declare, proposal_create, state_move
from incidentdesk.recovery.systems import system_create
from tests.browser.conftest import ARTIFACTS, sign_in
from tests.browser.test_accessibility import violations
from tests.factories import ComponentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
WEB = ActionSource.WEB
SIZES = {"desktop": {"width": 1366, "height": 850}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(autouse=True)
def _built_in_terms_and_templates(transactional_db):
    """The live server's tests flush the tables: put the built-in postmortem templates and
    taxonomy terms back."""
    ensure_built_in_terms(TaxonomyTerm)
    ensure_built_in_templates(PostmortemTemplate)


@pytest.fixture
def billing(admin, manager):
    return system_create(
        actor=admin,
        source=WEB,
        name="Billing",
        owner=manager,
        rto_minutes=60,
        rpo_minutes=15,
        description="Invoices and card payments",
        components=[ComponentFactory(name="Invoices")],
    )


def no_sideways_scroll(page, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    inner = page.evaluate("window.innerWidth")
    assert width <= inner, f"the {what} scrolls sideways ({width}px > {inner}px)"


def move(page, label: str, reason: str, **fields) -> None:
    page.get_by_role("link", name=re.compile(f"^Move to {label}")).click()
    page.get_by_label("Reason").fill(reason)
    for name, value in fields.items():
        page.get_by_label(name).fill(value)
    page.get_by_role("button", name=f"Move Billing to {label}").click()
    expect(page.locator(".messages")).to_contain_text(f"Billing is now {label}.")


def test_a_disaster_from_escalation_to_business_as_usual(
    live_server, page, manager, declare, billing
):
    incident = declare(title="Invoices are corrupted", severity="major")
    base = live_server.url
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size(SIZES["desktop"])

    def shot(name: str) -> None:
        page.screenshot(path=str(ARTIFACTS / f"disaster-flow-{name}.png"), full_page=True)

    def check(name: str) -> None:
        assert violations(page) == [], name
        shot(name)

    sign_in(page, base, manager.username)

    # Escalate from the incident page.
    page.goto(f"{base}/incidents/{incident.reference}")
    page.locator("#disaster").get_by_role("link", name="Escalate to a disaster…").click()
    page.get_by_label("Billing").check()
    page.get_by_label("Planned work stopped").fill("Sprint 42")
    check("01-escalate")
    page.get_by_role("button", name="Escalate").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Disaster control room")
    expect(page.locator("#planned-work")).to_contain_text("Sprint 42")
    check("02-room")

    # Read-only, with the public change previewed and sent.
    page.get_by_role("link", name=re.compile("^Move to Read-only")).click()
    public = page.get_by_role("region", name="The public side")
    expect(public.get_by_label("Invoices")).to_have_value("degraded_performance")
    expect(public.get_by_label("Site banner", exact=True)).to_have_value("read_only")
    check("03-move-preview")
    page.get_by_label("Reason").fill("Writes corrupt invoices: stop them")
    page.get_by_label("Consulted").fill("Ada, Bob")
    page.get_by_role("button", name="Move Billing to Read-only").click()
    expect(page.locator(".messages")).to_contain_text("Billing is now Read-only.")

    page.goto(base + "/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Minor Service Outage")
    expect(page.get_by_role("note", name="Notice")).to_contain_text("Invoices is read-only")
    shot("04-public-read-only")  # the public site is the status page's (its own axe test)
    page.goto(f"{base}/incidents/{incident.reference}/disaster")

    backup = (timezone.localtime() - timedelta(minutes=10)).strftime("%Y-%m-%dT%H:%M")
    move(
        page,
        "Restoring",
        "Restore the backup taken ten minutes before",
        **{"Last recovery point": backup},
    )
    move(page, "Verifying", "The restore finished")

    # The gate is not met until the verification step is done with evidence.
    system = page.locator("section.dr-system")
    expect(system.locator(".dr-gate")).to_contain_text("Not met.")
    steps = RunbookStep.objects.filter(affected__disaster__incident=incident).order_by("position")
    for step in steps:
        row = page.locator(f"#step-{step.pk}")
        row.get_by_text(re.compile("^Update")).click()
        row.get_by_label("State").select_option("done")
        row.get_by_label("Evidence", exact=True).fill(f"Done: {step.title}")
        row.get_by_role("button", name=f"Save step {step.position}").click()
        expect(page.locator(f"#step-{step.pk} .badge").last).to_have_text("Done")
    expect(system.locator(".dr-gate")).to_contain_text("Met:")
    expect(system).to_contain_text(f"{steps.count()} of {steps.count()} steps settled")
    check("05-runbook-done")

    page.get_by_role("link", name=re.compile("^Move to Restored")).click()
    expect(page.get_by_label(re.compile("Override the verification gate"))).to_have_count(0)
    page.get_by_label("Reason").fill("Every check passed")
    page.get_by_role("button", name="Move Billing to Restored").click()
    expect(page.locator(".messages")).to_contain_text("Billing is now Restored.")
    expect(system.locator(".dr-state")).to_have_text("Restored")

    # Back: the component is operational and the read-only banner is down. The browser may
    # keep the page it saw moments ago for max-age seconds; a reload asks the server again.
    page.goto(base + "/")
    page.reload()
    expect(page.get_by_role("note", name="Notice")).to_have_count(0)
    assert Component.objects.get(name="Invoices").status == "operational"
    shot("05b-public-restored")
    page.goto(f"{base}/incidents/{incident.reference}/disaster")

    # Business as usual waits for the postmortem.
    page.get_by_role("button", name="Resume business as usual").click()
    expect(page.locator("#planned-work .message-error")).to_contain_text("publish the postmortem")
    check("06-resume-refused")

    page.goto(f"{base}/incidents/{incident.reference}")
    page.get_by_text("Resolve…").first.click()
    with page.expect_response(lambda answer: answer.request.method == "POST"):
        page.get_by_role("button", name="Resolve", exact=True).click()
    page.reload()
    expect(page.locator(".status-resolved").first).to_be_visible()

    for _ in range(20):
        page.goto(base + "/")
        if "All Systems Operational" in page.get_by_role("heading", level=1).inner_text():
            break
        page.wait_for_timeout(500)
    shot("06b-public-resolved")
    expect(page.get_by_role("heading", level=1)).to_contain_text("All Systems Operational")

    postmortem = postmortem_start(actor=manager, source=WEB, incident=incident)
    postmortem_edit(actor=manager, source=WEB, postmortem=postmortem, taxonomy="DATA_QUALITY")
    postmortem_review(
        actor=manager,
        source=WEB,
        postmortem=postmortem,
        status="in_review",
        reviewers=[manager.username],
    )
    page.goto(f"{base}/incidents/{incident.reference}/postmortem")
    page.get_by_role("region", name="Review").get_by_role("button", name="Publish").click()
    expect(page.locator("#pm-status")).to_have_text("Published")

    page.goto(f"{base}/incidents/{incident.reference}/disaster")
    page.get_by_label("Note").fill("Root cause fixed; Sprint 42 goes on")
    page.get_by_role("button", name="Resume business as usual").click()
    expect(page.locator(".messages")).to_contain_text("Business as usual resumed.")
    expect(page.locator("#planned-work")).to_contain_text("Business as usual resumed")
    check("07-resumed")
    disaster = Disaster.objects.get(incident=incident)
    assert disaster.resumed_at is not None and disaster.resumed_by == manager
    assert Component.objects.get(name="Invoices").status == "operational"


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_disaster_pages_pass_axe_and_fit(
    live_server, chromium, admin, manager, make_user, declare, billing, scheme, size
):
    ana = make_user(Role.RESPONDER, username="ana", first_name="Ana")
    runbook_template_create(
        actor=admin,
        source=WEB,
        name="Billing recovery",
        system=billing,
        description="Fail over to the standby region.",
        steps=[
            {"title": "Put Billing read-only", "kind": "recovery", "standard": "contain"},
            {"title": "Fail over", "kind": "recovery", "webhook_url": "https://ops.example/fo"},
            {"title": "Invoices add up", "kind": "verification", "owner": "ana"},
        ],
    )
    incident = declare(title="Invoices are corrupted", severity="major")
    disaster = disaster_declare(
        actor=ana,
        source=WEB,
        incident=incident,
        systems=["Billing"],
        planned_work="Sprint 42",
        planned_work_url="https://tracker.example/sprints/42",
    )
    affected = disaster.systems.get()
    state_move(
        actor=manager, source=WEB, affected=affected, state="read_only", reason="Stop writes"
    )
    proposal_create(
        actor=ana, source=WEB, affected=affected, state="restoring", reason="The backup is ready"
    )
    other = declare(title="Search is slow", severity="trivial")
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    page.set_default_timeout(15_000)
    ARTIFACTS.mkdir(exist_ok=True)

    def check(name: str) -> None:
        assert violations(page) == [], name
        no_sideways_scroll(page, name)
        page.screenshot(
            path=str(ARTIFACTS / f"disaster-{name}-{size}-{scheme}.png"), full_page=True
        )

    try:
        base = live_server.url
        sign_in(page, base, manager.username)
        room = f"{base}/incidents/{incident.reference}/disaster"
        page.goto(room)
        expect(page.get_by_text("proposes Read-only")).to_be_visible()
        check("room")
        first = page.locator(".dr-step").first
        first.get_by_text(re.compile("^Update")).click()
        first.get_by_label("State").select_option("done")
        first.get_by_role("button", name="Save step 1").click()  # done needs evidence
        expect(page.locator("p.error").first).to_be_visible()
        check("room-step-refused")

        page.goto(room)
        page.get_by_role("link", name=re.compile("^Accept")).click()
        expect(page.get_by_role("region", name="The public side")).to_be_visible()
        check("accept")

        page.goto(room)
        page.get_by_role("link", name=re.compile("^Move to Maintenance")).click()
        expect(page.get_by_label("Maintenance window until")).to_be_visible()
        check("move-maintenance")

        page.goto(f"{base}/incidents/{incident.reference}")
        expect(page.locator("#disaster")).to_contain_text("Open the control room")
        check("incident-panel")
        page.goto(f"{base}/incidents/{other.reference}")
        page.locator("#disaster").get_by_role("link", name="Escalate to a disaster…").click()
        page.get_by_role("button", name="Escalate").click()
        expect(page.locator("#id_systems_error")).to_be_visible()
        check("escalate-refused")

        context.clear_cookies()
        sign_in(page, base, ana.username)
        page.goto(room)
        page.get_by_role("link", name=re.compile("^Propose Offline")).click()
        expect(page.get_by_role("heading", name=re.compile("^Propose: "))).to_be_visible()
        check("propose")

        context.clear_cookies()
        sign_in(page, base, admin.username)
        page.goto(base + "/recovery/systems")
        check("systems")
        page.goto(base + "/recovery/runbooks")
        check("runbooks")
        page.goto(base + "/recovery/runbooks/new")
        page.get_by_role("button", name="Save the runbook").click()
        expect(page.locator(".message-error")).to_be_visible()
        check("runbook-form")
    finally:
        context.close()

"""The pages this desk shows people pass axe-core, in light and dark, at desktop and phone
width: the public site (status, history, subscribe, the webhook documentation) and the team's
incident list, incident page (with its resolve form open) and status page screen."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from incidentdesk.core.sources import ActionSource
from incidentdesk.statuspage.services import publication_create
from tests.browser.conftest import sign_in
from tests.factories import ComponentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PUBLIC = ("/", "/history", "/subscribe", "/docs/webhooks")
SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def violations(page) -> list[tuple[str, list]]:
    found = Axe().run(page).response["violations"]
    return [(v["id"], [node["target"] for node in v["nodes"]][:3]) for v in found]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_public_and_team_pages_pass_axe(live_server, chromium, responder, declare, scheme, size):
    ComponentFactory(name="Payments")
    incident = declare(title="Card payments failing", severity="critical")
    declare(title="Search is slow", severity="major")
    declare(title="Late emails", severity="trivial")
    publication_create(
        actor=responder,
        source=ActionSource.WEB,
        incident=incident,
        name="Card payments failing for some customers",
        message="We are investigating.",
        components={"Payments": "partial_outage"},
    )
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    try:
        base = live_server.url
        for path in PUBLIC:
            page.goto(base + path)
            assert violations(page) == [], path
        sign_in(page, base, responder.username)
        for path in ("/incidents", "/statuspage/", f"/incidents/{incident.reference}"):
            page.goto(base + path)
            assert violations(page) == [], path
        page.get_by_text("Resolve…").first.click()
        assert violations(page) == [], "resolve form"
    finally:
        context.close()

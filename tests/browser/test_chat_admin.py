"""The chat admin page passes axe-core in light and dark, at desktop and phone width: with a
platform connected, one not configured, an inbound error, a chat user, and a refused form."""

from datetime import UTC, datetime

import pytest

from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import ChatIdentity, InboundRecord
from tests.browser.conftest import sign_in
from tests.browser.test_accessibility import SIZES, violations
from tests.chat import slack_fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
standin = slack_fixtures.standin
slack = slack_fixtures.slack


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_chat_admin_page_passes_axe(live_server, chromium, admin, slack, scheme, size):
    platforms.register_platform("slack", lambda: slack)
    ChatIdentity.objects.create(platform="slack", external_id="UEVE", name="eve")
    InboundRecord.objects.create(
        platform="slack",
        dedup_key="Ev1",
        kind="command",
        actor="UEVE",
        occurred_at=datetime.now(tz=UTC),
        error="your chat account is not linked to an IncidentDesk account",
    )
    context = chromium.new_context(viewport=SIZES[size], color_scheme=scheme)
    page = context.new_page()
    try:
        sign_in(page, live_server.url, admin.username)
        page.goto(live_server.url + "/chat/")
        assert page.get_by_text("Connected to the workspace").count() == 1
        assert violations(page) == [], "chat admin page"
        page.get_by_label("Keep closed incidents' transcripts for (days)").fill("-3")
        page.get_by_role("button", name="Save").click()
        assert page.locator("#id_transcript_retention_days_error").count() == 1
        assert violations(page) == [], "refused retention"
    finally:
        context.close()
        platforms.unregister_platform("slack")

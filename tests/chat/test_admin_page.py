"""The chat admin page (/chat/): admins only; each platform's connection checked against the
platform (the Slack Web API stand-in), the last inbound errors, linking chat users to accounts,
and how long transcripts are kept."""

from datetime import UTC, datetime

import pytest
from django.test import Client

from incidentdesk.accounts.models import Role
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.models import ChatIdentity, ChatSettings, InboundRecord, LinkMethod
from incidentdesk.chat.platforms.slack import SlackPlatform

pytestmark = pytest.mark.django_db
PAGE = "/chat/"


@pytest.fixture
def admin_client(admin):
    client = Client()
    client.force_login(admin)
    return client


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.parametrize("role", [Role.VIEWER, Role.RESPONDER, Role.MANAGER])
def test_only_admins_see_the_chat_page(role, make_user):
    response = client_for(make_user(role, username="someone")).get(PAGE)
    assert response.status_code == 403


def test_someone_signed_out_is_sent_to_sign_in(client, admin):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/login" in response["Location"]


def test_admins_find_the_chat_page_in_the_menu(admin_client, responder):
    assert 'href="/chat/"' in admin_client.get("/dashboard").content.decode()
    assert 'href="/chat/"' not in client_for(responder).get("/dashboard").content.decode()


def test_a_working_slack_connection_names_the_workspace_and_the_bot(
    configured, standin, admin_client
):
    page = admin_client.get(PAGE).content.decode()
    assert "Connected to the workspace IncidentDesk test" in page
    assert standin.bot_user in page and "incidentdesk" in page
    assert standin.calls_to("auth.test")


def test_a_refused_slack_token_is_told_in_words(standin, admin_client):
    wrong = SlackPlatform(signing_secret="s", token="xoxb-wrong", api_url=standin.url)
    platforms.register_platform("slack", lambda: wrong)
    try:
        response = admin_client.get(PAGE)
    finally:
        platforms.unregister_platform("slack")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Not working" in page and "The bot token was refused (invalid_auth)" in page


def test_an_unreachable_slack_is_told_in_words(admin_client):
    gone = SlackPlatform(signing_secret="s", token="xoxb-t", api_url="http://127.0.0.1:9/api/")
    platforms.register_platform("slack", lambda: gone)
    try:
        page = admin_client.get(PAGE).content.decode()
    finally:
        platforms.unregister_platform("slack")
    assert "Could not reach the platform" in page


def test_a_platform_without_settings_names_the_settings_to_set(configured, admin_client):
    page = admin_client.get(PAGE).content.decode()
    matrix = page[page.index('id="connection-matrix"') :]
    assert "Not configured" in matrix
    assert (
        "<code>MATRIX_HOMESERVER_URL</code>" in matrix and "<code>MATRIX_BOT_TOKEN</code>" in matrix
    )


def test_the_last_inbound_errors_are_listed_and_the_others_are_not(admin_client):
    def record(key, error):
        return InboundRecord.objects.create(
            platform="slack",
            dedup_key=key,
            kind="command",
            actor="UEVE",
            occurred_at=datetime.now(tz=UTC),
            error=error,
        )

    record("Ev1", "your chat account is not linked to an IncidentDesk account")
    record("Ev2", "")
    page = admin_client.get(PAGE).content.decode()
    section = page[page.index('id="errors-h"') : page.index('id="people-h"')]
    assert "not linked to an IncidentDesk account" in section and "UEVE" in section
    assert section.count("<tr>") == 2  # the header and the one error


def _identity(**fields):
    fields.setdefault("name", "eve")
    return ChatIdentity.objects.create(platform="slack", external_id="UEVE", **fields)


def test_an_admin_links_a_chat_user_to_an_account(admin_client, responder):
    identity = _identity()
    response = admin_client.post(
        f"/chat/identities/{identity.pk}/link", {f"identity-{identity.pk}-user": responder.pk}
    )
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.user == responder and identity.link == LinkMethod.ADMIN
    assert responder.username in admin_client.get(PAGE).content.decode()


def test_linking_an_account_that_already_acts_as_someone_else_is_refused_next_to_the_field(
    admin_client, responder
):
    ChatIdentity.objects.create(platform="slack", external_id="URITA", name="rita", user=responder)
    identity = _identity()
    response = admin_client.post(
        f"/chat/identities/{identity.pk}/link", {f"identity-{identity.pk}-user": responder.pk}
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert f'id="id_identity-{identity.pk}-user_error"' in page and "already linked" in page
    identity.refresh_from_db()
    assert identity.user is None


def test_linking_without_picking_an_account_is_refused_next_to_the_field(admin_client):
    identity = _identity()
    response = admin_client.post(f"/chat/identities/{identity.pk}/link", {})
    assert response.status_code == 422
    assert f'id="id_identity-{identity.pk}-user_error"' in response.content.decode()


def test_an_admin_unlinks_a_chat_user(admin_client, responder):
    identity = _identity(user=responder, link=LinkMethod.EMAIL)
    response = admin_client.post(f"/chat/identities/{identity.pk}/unlink")
    assert response.status_code == 302
    identity.refresh_from_db()
    assert identity.user is None and identity.link == LinkMethod.ADMIN


def test_a_manager_cannot_link_or_unlink(make_user, responder):
    identity = _identity(user=responder, link=LinkMethod.EMAIL)
    manager = client_for(make_user(Role.MANAGER, username="mo"))
    assert manager.post(f"/chat/identities/{identity.pk}/unlink").status_code == 403
    assert (
        manager.post(
            f"/chat/identities/{identity.pk}/link", {f"identity-{identity.pk}-user": responder.pk}
        ).status_code
        == 403
    )
    identity.refresh_from_db()
    assert identity.user == responder


def test_the_transcript_retention_is_saved_and_emptied_for_forever(admin_client, admin):
    assert (
        admin_client.post("/chat/settings", {"transcript_retention_days": "90"}).status_code == 302
    )
    current = ChatSettings.current()
    assert current.transcript_retention_days == 90 and current.updated_by == admin
    assert "for 90 days" in admin_client.get(PAGE).content.decode()
    admin_client.post("/chat/settings", {"transcript_retention_days": ""})
    assert ChatSettings.current().transcript_retention_days is None
    assert ChatSettings.objects.count() == 1


@pytest.mark.parametrize("value", ["-5", "0", "soon", "2.5"])
def test_a_bad_retention_is_refused_next_to_the_field(value, admin_client):
    ChatSettings.objects.create(transcript_retention_days=30)
    response = admin_client.post("/chat/settings", {"transcript_retention_days": value})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="id_transcript_retention_days_error"' in page
    assert ChatSettings.current().transcript_retention_days == 30


def test_a_responder_cannot_change_the_retention(responder):
    response = client_for(responder).post("/chat/settings", {"transcript_retention_days": "1"})
    assert response.status_code == 403
    assert not ChatSettings.objects.exists()

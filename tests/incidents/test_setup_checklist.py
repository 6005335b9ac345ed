"""The dashboard's set-up checklist: what a fresh install still lacks, said to admins until done."""

import pytest
from django.urls import reverse

from incidentdesk.accounts.models import Role, User
from incidentdesk.accounts.services import user_create
from incidentdesk.chat import registry as chat_registry
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents import setup_checks
from incidentdesk.incidents.services import catalog
from incidentdesk.notifications.models import Delivery, DeliveryStatus, OutboxEvent
from incidentdesk.oncall.contacts import contact_method_add
from incidentdesk.oncall.policies import policy_create

WEB = ActionSource.WEB
SMTP = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def fresh(settings):
    """An install as it comes: SMTP with no EMAIL_HOST, nothing set up."""
    settings.EMAIL_BACKEND = SMTP
    settings.EMAIL_HOST = ""
    return settings


def result(name: str) -> setup_checks.Result:
    return {item.name: item.result for item in setup_checks.checklist()}[name]


def dashboard(client, user):
    client.force_login(user)
    response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return response.content.decode()


def test_the_checklist_has_mail_desk_components_chat_and_paging_in_that_order(db):
    names = [item.name for item in setup_checks.checklist()]
    assert names == ["mail", "desk", "components", "chat", "paging"]


def test_a_fresh_install_says_mail_is_not_configured_and_how_to_fix_it(fresh, db):
    mail = result("mail")
    assert not mail.done
    assert mail.says.startswith("Mail is not configured")
    assert "EMAIL_HOST" in mail.todo
    assert mail.url == reverse("notification_deliveries")


def test_mail_is_done_once_email_host_is_set(fresh, db):
    fresh.EMAIL_HOST = "mail.example.com"
    assert result("mail").done


def test_mail_set_up_but_failing_says_the_last_error(fresh, db):
    fresh.EMAIL_HOST = "mail.example.com"
    event = OutboxEvent.objects.create(topic="incident.declared")
    Delivery.objects.create(
        event=event,
        channel="email",
        recipient="a@example.com",
        key="k1",
        status=DeliveryStatus.FAILED,
        attempts=5,
        last_error="connection refused",
    )
    mail = result("mail")
    assert not mail.done
    assert "connection refused" in mail.says


def test_the_desk_item_is_done_once_an_active_person_is_on_the_desk(db, make_user):
    assert not result("desk").done
    make_user(Role.RESPONDER, on_responders_desk=True, is_active=False)
    assert not result("desk").done
    make_user(Role.RESPONDER, on_responders_desk=True, email="")
    desk = result("desk")
    assert desk.done
    assert desk.says == "1 person is on the responders desk. 1 of them has no email address."


def test_the_components_item_is_done_once_the_catalog_has_one(db, admin):
    components = result("components")
    assert not components.done and components.url == reverse("catalog")
    catalog.component_save(actor=admin, source=WEB, name="API")
    assert result("components").says == "1 component in the catalog."


def test_the_chat_item_is_done_once_a_platform_is_configured(db):
    chat = result("chat")
    assert not chat.done
    assert "SLACK_BOT_TOKEN" in chat.todo and chat.url == reverse("chat_admin")
    chat_registry.register_platform("slack", object)
    try:
        assert result("chat") == setup_checks.Result(True, "Slack connected.")
    finally:
        chat_registry.unregister_platform("slack")


def test_the_paging_item_asks_for_a_schedule_or_policy_then_a_contact_method(db, admin):
    paging = result("paging")
    assert not paging.done and paging.url == reverse("oncall_schedules")
    policy_create(
        actor=admin,
        source=WEB,
        name="Primary",
        is_default=True,
        steps=[{"target": "person", "person": admin.username}],
    )
    paging = result("paging")
    assert not paging.done and paging.url == reverse("oncall_contact_methods")
    contact_method_add(actor=admin, source=WEB, user=admin, kind="email", address="a@example.com")
    assert result("paging") == setup_checks.Result(
        True, "1 escalation policy, the default 'Primary'."
    )


def test_a_name_taken_by_another_module_is_refused():
    def mail():
        return setup_checks.Result(True, "")

    with pytest.raises(ValueError, match="mail"):
        setup_checks.register("mail", title="Mail", check=mail, order=1)


def test_the_dashboard_shows_admins_what_is_missing_with_links(fresh, client, admin):
    page = dashboard(client, admin)
    assert 'id="setup"' in page
    assert "Mail is not configured" in page
    assert f'href="{reverse("notification_deliveries")}"' in page
    assert f'href="{reverse("catalog")}"' in page
    assert f'href="{reverse("user_list")}"' in page


def test_other_roles_never_see_the_checklist(fresh, client, make_user):
    assert 'id="setup"' not in dashboard(client, make_user(Role.MANAGER))


def test_the_checklist_goes_away_once_every_item_is_done(fresh, client, admin):
    fresh.EMAIL_HOST = "mail.example.com"
    admin.on_responders_desk = True
    admin.save()
    catalog.component_save(actor=admin, source=WEB, name="API")
    policy_create(
        actor=admin, source=WEB, name="P", steps=[{"target": "person", "person": "admin"}]
    )
    contact_method_add(actor=admin, source=WEB, user=admin, kind="email", address="a@example.com")
    assert "Set-up checklist" in dashboard(client, admin)  # chat is still missing
    chat_registry.register_platform("matrix", object)
    try:
        assert "Set-up checklist" not in dashboard(client, admin)
    finally:
        chat_registry.unregister_platform("matrix")


def test_the_first_account_is_put_on_the_responders_desk(db):
    first = user_create(
        actor=None, source=WEB, username="ada", email="ada@example.com", password="a-long-pass-1"
    )
    second = user_create(
        actor=first, source=WEB, username="bo", email="bo@example.com", password="a-long-pass-2"
    )
    assert (first.role, first.on_responders_desk) == (Role.ADMIN, True)
    assert second.on_responders_desk is False
    assert User.objects.get(pk=first.pk).on_responders_desk


def test_first_run_setup_through_the_page_puts_the_admin_on_the_desk(client, fresh, db):
    client.post(
        reverse("setup"),
        {
            "username": "ada",
            "email": "ada@example.com",
            "full_name": "Ada Lovelace",
            "password": "a-long-unusual-passphrase",
            "password_again": "a-long-unusual-passphrase",
        },
    )
    ada = User.objects.get(username="ada")
    assert ada.on_responders_desk
    assert result("desk").done

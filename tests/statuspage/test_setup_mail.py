"""A fresh install tells the truth about mail: with no mail server configured, the subscribe
page and the subscriber admin never claim an email was or will be sent; with one (a real
aiosmtpd on loopback), the confirmation arrives as the page says."""

import pytest
from django.utils import timezone

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications.channels.email import mail_configured
from incidentdesk.notifications.models import Delivery
from incidentdesk.statuspage.models import Subscriber
from incidentdesk.statuspage.pages import html_documents
from incidentdesk.statuspage.subscribers import subscriber_subscribe

SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"


@pytest.fixture
def no_mail(db, settings, manager):
    """A fresh install (past its first account): the SMTP backend and no EMAIL_HOST."""
    settings.EMAIL_BACKEND = SMTP_BACKEND
    settings.EMAIL_HOST = ""
    settings.SUBSCRIBE_RATE_LIMIT = 10_000
    return settings


def test_a_fresh_install_has_no_mail_until_email_host_is_set(no_mail):
    assert not mail_configured()
    no_mail.EMAIL_HOST = "smtp.example.com"
    assert mail_configured()


def test_an_email_subscription_is_refused_naming_email_when_mail_is_not_configured(no_mail):
    with pytest.raises(ValidationError) as refused:
        subscriber_subscribe(source=ActionSource.WEB, ip="192.0.2.1", email="ann@example.com")
    assert refused.value.field == "email"
    assert "cannot send email" in refused.value.message
    assert not Subscriber.objects.exists() and not Delivery.objects.exists()


def test_the_subscribe_page_offers_no_email_and_never_says_check_your_inbox_without_mail(
    no_mail, client
):
    form = client.get("/subscribe").content.decode()
    assert 'id="sub-email"' not in form
    assert "Email updates are not available" in form
    assert "Get a webhook call whenever" in form and "an email" not in form
    answer = client.post("/subscribe", {"email": "ann@example.com"})
    page = answer.content.decode()
    assert answer.status_code == 422
    assert "Check your inbox" not in page and "confirmation link to" not in page
    assert "email subscriptions are not available" in page.lower()
    assert not Subscriber.objects.exists()


def test_the_public_home_page_offers_no_email_subscription_without_mail(no_mail):
    home = html_documents()["/"]
    assert 'id="sub-email"' not in home
    assert "Email updates are not available" in home
    assert "We email a confirmation link first" not in home
    assert "by webhook." in home and "by email" not in home


def test_a_webhook_subscription_still_works_without_mail(no_mail, receiver, client):
    no_mail.EMAIL_HOST = ""  # `receiver` configured mail; this install has none
    answer = client.post("/subscribe", {"url": receiver.url()})
    assert answer.status_code == 200
    assert "Webhook subscribed" in answer.content.decode()


def test_with_mail_configured_the_confirmation_arrives_as_the_page_says(
    smtp, client, manager, django_capture_on_commit_callbacks
):
    assert 'id="sub-email"' in client.get("/subscribe").content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = client.post("/subscribe", {"email": "ann@example.com"})
    page = answer.content.decode()
    assert "Check your inbox" in page and "ann@example.com" in page
    [message] = smtp.to("ann@example.com")
    assert "Confirm your subscription" in message["Subject"]


def test_an_email_delivery_without_mail_fails_at_once_saying_so(
    no_mail, components, django_capture_on_commit_callbacks, manager
):
    Subscriber.objects.create(kind="email", email="old@example.com", confirmed_at=timezone.now())
    from incidentdesk.statuspage.services import component_status_change

    with django_capture_on_commit_callbacks(execute=True):
        component_status_change(
            actor=manager,
            source=ActionSource.WEB,
            component=components["API"],
            status="major_outage",
        )
    [delivery] = Delivery.objects.filter(recipient="old@example.com")
    assert delivery.status == "failed"
    assert "mail is not configured" in delivery.last_error


def test_the_subscribers_page_warns_that_email_subscribers_hear_nothing_without_mail(
    no_mail, manager_client
):
    page = manager_client.get("/notifications/subscribers").content.decode()
    assert 'id="no-mail"' in page and "email subscribers get nothing" in page


def test_the_subscribers_page_has_no_warning_with_mail(smtp, manager_client):
    page = manager_client.get("/notifications/subscribers").content.decode()
    assert 'id="no-mail"' not in page


def test_an_import_without_mail_says_they_will_get_no_email(no_mail, manager_client):
    answer = manager_client.post(
        "/notifications/subscribers/import", {"rows": "ann@example.com"}, follow=True
    )
    page = answer.content.decode()
    assert "Import done" in page and "they will get no email until it is" in page
    assert Subscriber.objects.filter(email="ann@example.com").exists()

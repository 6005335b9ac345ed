"""The public subscription pages: subscribe, confirm, unsubscribe."""

import pytest
from django.test import Client
from django.urls import include, path

from incidentdesk.statuspage import subscriber_tokens as tokens
from incidentdesk.statuspage.models import Subscriber
from tests.factories import ComponentFactory

# Until config/urls.py mounts them, these tests mount the subscription pages themselves.
urlpatterns = [
    path("", include("incidentdesk.statuspage.subscribe_urls")),
    path("", include("incidentdesk.config.urls")),
]
pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]


@pytest.fixture(autouse=True)
def _set_up(viewer):
    """An account exists, so the first-run redirect is out of the way."""


@pytest.fixture
def client():
    # A real browser posting the static page's form carries no CSRF token: check that works.
    return Client(enforce_csrf_checks=True)


def test_the_form_page_stands_alone(client):
    ComponentFactory(name="API")
    response = client.get("/subscribe")
    assert response.status_code == 200
    body = response.content.decode()
    assert 'action="/subscribe"' in body and 'name="email"' in body and "API" in body


def test_subscribing_by_email_asks_to_check_the_inbox(client):
    response = client.post("/subscribe", {"email": "ada@example.com"})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.confirmed_at) == ("ada@example.com", None)
    assert subscriber.created_ip == "127.0.0.1"


def test_subscribing_to_chosen_components(client):
    api, web = ComponentFactory(name="API"), ComponentFactory(name="Web")
    client.post("/subscribe", {"email": "ada@example.com", "components": [api.public_id]})
    assert list(Subscriber.objects.get().components.all()) == [api]
    assert web not in Subscriber.objects.get().components.all()


def test_a_malformed_email_is_named_and_kept(client):
    response = client.post("/subscribe", {"email": "not-an-address"})
    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="sub-email-error"' in body
    assert 'value="not-an-address"' in body
    assert not Subscriber.objects.exists()


def test_an_unknown_component_is_refused(client):
    response = client.post("/subscribe", {"email": "ada@example.com", "components": ["nope"]})
    assert response.status_code == 422
    assert "nope" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_a_webhook_to_a_loopback_address_is_refused(client):
    response = client.post("/subscribe", {"url": "https://127.0.0.1/hook"})
    assert response.status_code == 422
    assert 'id="sub-url-error"' in response.content.decode()
    assert not Subscriber.objects.exists()


def test_a_webhook_subscription_shows_its_signing_secret_once(client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    response = client.post("/subscribe", {"url": "https://127.0.0.1/hook"})
    assert response.status_code == 200
    subscriber = Subscriber.objects.get()
    assert tokens.webhook_secret(subscriber) in response.content.decode()


def test_the_honeypot_stores_nothing_and_says_nothing(client):
    response = client.post("/subscribe", {"email": "bot@example.com", "website": "spam"})
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    assert not Subscriber.objects.exists()


def test_too_many_requests_from_one_address_get_a_429_page(client, settings):
    settings.SUBSCRIBE_RATE_LIMIT = 2
    for n in range(2):
        assert client.post("/subscribe", {"email": f"u{n}@example.com"}).status_code == 200
    response = client.post("/subscribe", {"email": "u9@example.com"})
    assert response.status_code == 429
    assert "Too many requests" in response.content.decode()
    assert Subscriber.objects.count() == 2


def test_the_confirmation_link_confirms(client):
    client.post("/subscribe", {"email": "ada@example.com"})
    subscriber = Subscriber.objects.get()
    token = tokens.make_token(subscriber.pk, tokens.CONFIRM)
    response = client.get(f"/subscribe/confirm/{token}")
    assert response.status_code == 200
    assert "You are subscribed" in response.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is not None


def test_a_forged_link_gets_a_clear_page(client):
    response = client.get("/subscribe/confirm/forged")
    assert response.status_code == 422
    assert "This link does not work" in response.content.decode()


def test_unsubscribing_asks_for_a_click_then_unsubscribes(client):
    client.post("/subscribe", {"email": "ada@example.com"})
    subscriber = Subscriber.objects.get()
    token = tokens.make_token(subscriber.pk, tokens.UNSUBSCRIBE)
    page = client.get(f"/unsubscribe/{token}")
    assert page.status_code == 200
    assert f'action="/unsubscribe/{token}"' in page.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is None  # a mail scanner's GET changes nothing
    response = client.post(f"/unsubscribe/{token}")
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None


def test_one_click_unsubscribe_from_a_mail_client(client):
    client.post("/subscribe", {"email": "ada@example.com"})
    subscriber = Subscriber.objects.get()
    token = tokens.make_token(subscriber.pk, tokens.UNSUBSCRIBE)
    response = client.post(
        f"/unsubscribe/{token}",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None

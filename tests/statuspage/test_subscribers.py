"""Subscribing, confirming, unsubscribing, importing and removing subscribers."""

from datetime import timedelta
from unittest import mock

import pytest
from django.core import signing

from incidentdesk.core.errors import (
    InvalidTransition,
    PermissionDenied,
    ValidationError,
)
from incidentdesk.notifications.addresses import AddressRefused, resolve_webhook
from incidentdesk.notifications.models import OutboxEvent
from incidentdesk.statuspage import subscriber_tokens as tokens
from incidentdesk.statuspage.models import SubscribeAttempt, Subscriber
from incidentdesk.statuspage.subscribers import (
    RateLimited,
    subscriber_confirm,
    subscriber_import,
    subscriber_remove,
    subscriber_subscribe,
    subscriber_unsubscribe,
    webhook_secret,
)
from tests.notifications.conftest import WEB


@pytest.fixture
def strict(db, settings):
    """The production policy: https only, public addresses only."""
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.SUBSCRIBE_RATE_LIMIT = 100
    return settings


def subscribe_now(**kwargs):
    kwargs.setdefault("source", WEB)
    kwargs.setdefault("ip", "192.0.2.7")
    return subscriber_subscribe(**kwargs)


def nothing_stored():
    return not Subscriber.objects.exists() and not OutboxEvent.objects.exists()


def test_an_email_subscription_waits_for_its_confirmation_link(
    smtp, components, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        subscriber = subscribe_now(
            email=" Ann@Example.com ", component_ids=[components["API"].public_id]
        )
    assert subscriber.email == "ann@example.com"
    assert subscriber.confirmed_at is None
    assert list(subscriber.components.all()) == [components["API"]]
    [message] = smtp.to("ann@example.com")
    assert message["Subject"] == "[Status] Confirm your subscription"
    text = message.get_content()
    assert "for: API" in text
    link = next(w for w in text.split() if "/subscribe/confirm/" in w)
    assert link.startswith("https://status.example.com/subscribe/confirm/")
    assert "List-Unsubscribe" not in message  # not a subscriber yet
    confirmed = subscriber_confirm(token=link.rsplit("/", 1)[1])
    assert confirmed.confirmed_at is not None
    assert subscriber_confirm(token=link.rsplit("/", 1)[1]).confirmed_at == confirmed.confirmed_at


def test_a_webhook_subscription_is_active_at_once_and_shows_its_secret_once(receiver):
    subscriber = subscribe_now(url=receiver.url("/hook"))
    assert subscriber.kind == "webhook" and subscriber.confirmed_at is not None
    assert subscriber.webhook_secret == webhook_secret(subscriber)
    assert len(subscriber.webhook_secret) == 64
    again = subscribe_now(url=receiver.url("/hook"))
    assert again.pk == subscriber.pk
    assert again.already_subscribed and again.webhook_secret is None
    assert Subscriber.objects.count() == 1


def test_subscribing_again_before_confirming_sends_the_link_again(
    smtp, components, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = subscribe_now(email="ann@example.com")
        second = subscribe_now(email="ann@example.com", component_ids=[components["API"].public_id])
    assert first.pk == second.pk and not second.already_subscribed
    assert len(smtp.to("ann@example.com")) == 2
    assert list(second.components.all()) == [components["API"]]
    subscriber_confirm(token=tokens.make_token(first.pk, tokens.CONFIRM))
    with django_capture_on_commit_callbacks(execute=True):
        third = subscribe_now(email="ann@example.com", component_ids=[])
    assert third.already_subscribed
    # Answered like a new subscription (the link again, which confirms nothing new)...
    assert len(smtp.to("ann@example.com")) == 3
    assert third.confirmed_at is not None
    assert list(third.components.all()) == [components["API"]]  # ...and changed by no stranger


@pytest.mark.parametrize(
    "kwargs, field, words",
    [
        ({"email": "not-an-email"}, "email", "not a valid email address"),
        ({"email": "a@b"}, "email", "not a valid email address"),
        ({"email": "x" * 250 + "@example.com"}, "email", "longer than 254"),
        ({}, "email", "either an email address or a webhook URL"),
        ({"email": "a@example.com", "url": "https://8.8.8.8/"}, "email", "either"),
        ({"url": "https://8.8.8.8/" + "a" * 500}, "url", "longer than 500"),
        ({"url": "ftp://8.8.8.8/"}, "url", "https://"),
        ({"url": "http://8.8.8.8/hook"}, "url", "https://"),
        ({"url": "https://user:pw@8.8.8.8/"}, "url", "user name or password"),
        ({"url": "https://"}, "url", "no host name"),
        ({"url": "https://no-such-host.invalid/hook"}, "url", "this address can't receive updates"),
        ({"email": "a@example.com", "component_ids": ["nope"]}, "components", "unknown"),
        ({"email": "a@example.com", "component_ids": "api"}, "components", "list"),
        ({"email": "a@example.com", "ip": "not-an-ip"}, "ip", "not an IP address"),
    ],
)
def test_bad_input_is_refused_with_its_field_and_nothing_is_stored(strict, kwargs, field, words):
    with pytest.raises(ValidationError) as caught:
        subscribe_now(**kwargs)
    assert caught.value.field == field
    assert words in caught.value.message
    assert nothing_stored()
    assert SubscribeAttempt.objects.count() == (0 if field == "ip" else 1)  # every attempt counts


@pytest.mark.parametrize(
    "url, words",
    [
        ("https://127.0.0.1/hook", "loopback"),
        ("https://127.8.9.10:8443/hook", "loopback"),
        ("https://10.1.2.3/hook", "private"),
        ("https://192.168.0.10/hook", "private"),
        ("https://172.16.5.4/hook", "private"),
        ("https://169.254.169.254/latest/meta-data", "link-local"),
        ("https://[::1]/hook", "loopback"),
        ("https://[fe80::1]/hook", "link-local"),
        ("https://[::ffff:127.0.0.1]/hook", "loopback"),
        ("https://0.0.0.0/hook", "unspecified"),
        ("https://224.0.0.1/hook", "multicast"),
        ("https://localhost/hook", "loopback"),
    ],
)
def test_webhooks_to_private_addresses_are_refused(strict, url, words):
    with pytest.raises(ValidationError) as caught:
        subscribe_now(url=url)
    assert caught.value.field == "url"
    # The visitor learns neither the address nor why: the reason is for admins (deliveries).
    assert caught.value.message == "this address can't receive updates"
    assert nothing_stored()
    # A delivery to it would be refused, and the reason (for admins) names the policy.
    with pytest.raises(AddressRefused) as refused:
        resolve_webhook(url)
    assert words in refused.value.message and "public addresses" in refused.value.message


def test_a_name_is_refused_when_any_of_its_addresses_is_private(strict):
    answers = [
        (2, 1, 6, "", ("8.8.8.8", 443)),
        (2, 1, 6, "", ("10.0.0.5", 443)),
    ]
    with mock.patch("socket.getaddrinfo", return_value=answers), pytest.raises(ValidationError):
        subscribe_now(url="https://hooks.example.com/x")
    assert nothing_stored()


def test_a_public_https_webhook_is_accepted(strict):
    subscriber = subscribe_now(url="https://8.8.8.8/hook")
    assert subscriber.url == "https://8.8.8.8/hook"


def test_an_admin_setting_allows_private_and_plain_http_webhooks(receiver):
    assert subscribe_now(url=receiver.url("/hook")).pk


def test_subscriptions_are_rate_limited_per_address(settings, smtp):
    settings.SUBSCRIBE_RATE_LIMIT = 3
    for n in range(3):
        subscribe_now(email=f"user{n}@example.com", ip="198.51.100.1")
    with pytest.raises(RateLimited) as caught:
        subscribe_now(email="user9@example.com", ip="198.51.100.1")
    assert caught.value.status_code == 429
    assert "try again" in caught.value.message
    assert not Subscriber.objects.filter(email="user9@example.com").exists()
    assert subscribe_now(email="user9@example.com", ip="198.51.100.2").pk  # another address
    SubscribeAttempt.objects.update(
        created_at=SubscribeAttempt.objects.first().created_at - timedelta(hours=2)
    )
    assert subscribe_now(email="user10@example.com", ip="198.51.100.1").pk  # an hour later


def test_the_unsubscribe_link_works_forever_and_only_for_unsubscribing(smtp):
    subscriber = subscribe_now(email="ann@example.com")
    unsubscribe_token = tokens.make_token(subscriber.pk, tokens.UNSUBSCRIBE)
    with pytest.raises(ValidationError):
        subscriber_confirm(token=unsubscribe_token)  # one purpose per link
    later = signing.time.time() + 400 * 86400
    with mock.patch("django.core.signing.time.time", return_value=later):
        assert subscriber_unsubscribe(token=unsubscribe_token).unsubscribed_at is not None
    assert subscriber_unsubscribe(token=unsubscribe_token).unsubscribed_at is not None


def test_a_confirmation_link_expires_after_seven_days(smtp):
    subscriber = subscribe_now(email="ann@example.com")
    token = tokens.make_token(subscriber.pk, tokens.CONFIRM)
    later = signing.time.time() + 8 * 86400
    with (
        mock.patch("django.core.signing.time.time", return_value=later),
        pytest.raises(ValidationError) as caught,
    ):
        subscriber_confirm(token=token)
    assert "expired" in caught.value.message
    subscriber.refresh_from_db()
    assert subscriber.confirmed_at is None


@pytest.mark.parametrize("token", ["", "garbage", "MQ:1abc:forged", "a" * 5000])
def test_a_bad_link_is_refused(db, token):
    for service in (subscriber_confirm, subscriber_unsubscribe):
        with pytest.raises(ValidationError) as caught:
            service(token=token)
        assert caught.value.field == "token"


def test_an_old_confirmation_link_does_not_revive_a_cancelled_subscription(smtp):
    subscriber = subscribe_now(email="ann@example.com")
    subscriber_unsubscribe(token=tokens.make_token(subscriber.pk, tokens.UNSUBSCRIBE))
    with pytest.raises(InvalidTransition):
        subscriber_confirm(token=tokens.make_token(subscriber.pk, tokens.CONFIRM))


def test_managers_import_confirmed_subscribers(smtp, manager, components):
    subscribe_now(email="pending@example.com")
    left = subscribe_now(email="left@example.com")
    subscriber_unsubscribe(token=tokens.make_token(left.pk, tokens.UNSUBSCRIBE))
    result = subscriber_import(
        actor=manager,
        source=WEB,
        rows=[
            {"email": "New@Example.com", "components": ["api", components["Billing"].public_id]},
            {"email": "new@example.com"},
            {"email": "pending@example.com"},
            {"email": "left@example.com"},
            {"email": "plain@example.com"},
        ],
    )
    assert (result.created, result.confirmed, result.unchanged, result.skipped_unsubscribed) == (
        2, 1, 0, 1,
    )  # fmt: skip
    new = Subscriber.objects.get(email="new@example.com")
    assert new.confirmed_at is not None
    assert set(new.components.all()) == {components["API"], components["Billing"]}
    assert Subscriber.objects.get(email="pending@example.com").confirmed_at is not None
    assert Subscriber.objects.get(email="left@example.com").unsubscribed_at is not None


def test_one_bad_row_refuses_the_whole_import(manager, components):
    rows = [{"email": "ok@example.com"}, {"email": "bad"}, {"email": "ok2@example.com"}]
    with pytest.raises(ValidationError) as caught:
        subscriber_import(actor=manager, source=WEB, rows=rows)
    assert caught.value.field == "rows" and caught.value.message.startswith("row 2: email:")
    rows = [{"email": "ok@example.com", "components": ["Nope"]}]
    with pytest.raises(ValidationError) as caught:
        subscriber_import(actor=manager, source=WEB, rows=rows)
    assert caught.value.message == "row 1: components: unknown component(s): Nope"
    assert not Subscriber.objects.exists()


def test_only_managers_import_and_remove_subscribers(responder, manager, smtp):
    subscriber = subscribe_now(email="ann@example.com")
    with pytest.raises(PermissionDenied):
        subscriber_import(actor=responder, source=WEB, rows=[{"email": "x@example.com"}])
    with pytest.raises(PermissionDenied):
        subscriber_remove(actor=responder, source=WEB, subscriber=subscriber)
    subscriber_remove(actor=manager, source=WEB, subscriber=subscriber)
    assert not Subscriber.objects.exists()

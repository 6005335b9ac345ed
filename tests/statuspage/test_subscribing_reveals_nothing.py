"""Subscribing reveals nothing to a stranger: not what our host names resolve to, not whether
an address is subscribed; every attempt counts against the rate limit before any lookup; and
webhooks go only to global addresses, whatever form the address takes."""

import ipaddress

import pytest
from django.test import Client
from django.urls import include, path

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications.addresses import CANNOT_RECEIVE, embedded_ipv4, refusal
from incidentdesk.statuspage import subscriber_tokens as tokens
from incidentdesk.statuspage.models import SubscribeAttempt, Subscriber
from incidentdesk.statuspage.subscribers import (
    RateLimited,
    subscriber_confirm,
    subscriber_subscribe,
)
from tests.notifications.conftest import WEB

urlpatterns = [
    path("", include("incidentdesk.statuspage.subscribe_urls")),
    path("", include("incidentdesk.config.urls")),
]


@pytest.fixture
def strict(db, settings):
    """The production policy: https only, public addresses only."""
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.SUBSCRIBE_RATE_LIMIT = 100
    return settings


# address, refused, what the reason names (an embedded IPv4 address is judged as well)
ADDRESSES = [
    ("8.8.8.8", False, ""),
    ("2606:4700:4700::1111", False, ""),
    ("127.0.0.1", True, "loopback"),
    ("10.0.0.1", True, "private"),
    ("100.64.0.1", True, "non-public"),
    ("192.0.0.1", True, "private"),
    ("192.0.0.9", True, "non-public"),  # IETF protocol assignments: all of 192.0.0.0/24
    ("192.0.0.170", True, "private"),
    ("192.88.99.1", True, "non-public"),  # former 6to4 relays
    ("::1", True, "loopback"),
    ("::", True, "unspecified"),
    ("fe80::1", True, "link-local"),
    ("fc00::1", True, "private"),
    ("ff02::1", True, "multicast"),
    ("ff00::1", True, "multicast"),
    ("ff0e::1", True, "multicast"),
    # Special-purpose IPv6 ranges, some of which Python 3.11 counts as global
    ("fec0::1", True, "site-local"),  # deprecated site-local, fec0::/10
    ("feff:ffff::1", True, "site-local"),
    ("3fff::1", True, "documentation"),  # RFC 9637, 3fff::/20
    ("3fff:fff:ffff::1", True, "documentation"),
    ("3fff:1000::1", False, ""),  # just past 3fff::/20
    ("2001:db8::1", True, "private"),  # documentation, 2001:db8::/32
    ("2001:db8:ffff::1", True, "private"),
    ("100::1", True, "reserved"),  # discard-only, 100::/64
    ("2001:10::1", True, "private"),  # ORCHID, 2001:10::/28
    ("2001:1f::1", True, "private"),
    # IPv4-mapped, -translated and -compatible
    ("::ffff:127.0.0.1", True, "loopback address (127.0.0.1)"),
    ("::ffff:10.1.2.3", True, "private address (10.1.2.3)"),
    ("::ffff:8.8.8.8", True, "IPv4-mapped"),
    ("::ffff:0:127.0.0.1", True, "loopback address (127.0.0.1)"),
    ("::ffff:0:8.8.8.8", True, "IPv4-translated"),
    ("::127.0.0.1", True, "loopback address (127.0.0.1)"),
    ("::8.8.8.8", True, "IPv4-compatible"),
    # 6to4 (2002::/16) carries the IPv4 address in bits 16-47
    ("2002:7f00:1::", True, "loopback address (127.0.0.1)"),
    ("2002:a00:1::1", True, "private address (10.0.0.1)"),
    ("2002:c000:0009::", True, "non-public address (192.0.0.9)"),
    ("2002:808:808::", True, "6to4"),
    # Teredo (2001::/32) carries the client's IPv4 address, inverted, in the last 32 bits
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", True, "loopback address (127.0.0.1)"),
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", True, "Teredo"),  # client 8.8.8.8
    # NAT64: the well-known /96 and the local-use /48 (RFC 8215)
    ("64:ff9b::7f00:1", True, "loopback address (127.0.0.1)"),
    ("64:ff9b::a9fe:a9fe", True, "link-local address (169.254.169.254)"),
    ("64:ff9b::808:808", True, "NAT64"),
    ("64:ff9b:1:7f00:0:100::", True, "loopback address (127.0.0.1)"),
    ("64:ff9b:1:808:8:800::", True, "NAT64"),
]


@pytest.mark.parametrize(("address", "refused", "named"), ADDRESSES)
def test_only_global_addresses_may_receive_webhooks_in_any_form(address, refused, named):
    reason = refusal(ipaddress.ip_address(address))
    assert (reason is not None) == refused, reason
    assert named in (reason or "")


@pytest.mark.parametrize(
    ("address", "inner"),
    [
        ("2002:7f00:1::", "127.0.0.1"),
        ("2002:808:808::", "8.8.8.8"),
        ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "8.8.8.8"),
        ("64:ff9b::808:808", "8.8.8.8"),
        ("64:ff9b:1:808:8:800::", "8.8.8.8"),
        ("::ffff:8.8.8.8", "8.8.8.8"),
        ("::8.8.8.8", "8.8.8.8"),
        ("2606:4700:4700::1111", None),
        ("::1", None),
    ],
)
def test_the_ipv4_address_inside_an_ipv6_one_is_found(address, inner):
    found = embedded_ipv4(ipaddress.IPv6Address(address))
    assert (str(found) if found else None) == inner


@pytest.mark.parametrize("address", [a for a, refused, _ in ADDRESSES if refused])
def test_a_refused_webhook_tells_the_visitor_nothing_about_the_address(strict, address):
    shown = f"[{address}]" if ":" in address else address
    with pytest.raises(ValidationError) as caught:
        subscriber_subscribe(source=WEB, ip="192.0.2.7", url=f"https://{shown}/hook")
    assert (caught.value.field, caught.value.message) == ("url", CANNOT_RECEIVE)
    assert not Subscriber.objects.exists()


@pytest.mark.parametrize("host", ["localhost", "no-such-host.invalid"])
def test_an_internal_name_and_a_missing_one_get_the_same_answer(strict, host):
    with pytest.raises(ValidationError) as caught:
        subscriber_subscribe(source=WEB, ip="192.0.2.7", url=f"https://{host}/hook")
    assert (caught.value.field, caught.value.message) == ("url", CANNOT_RECEIVE)


def test_refused_attempts_count_against_the_limit_before_any_lookup(strict):
    strict.SUBSCRIBE_RATE_LIMIT = 2
    for _ in range(2):
        with pytest.raises(ValidationError):
            subscriber_subscribe(source=WEB, ip="198.51.100.9", url="https://localhost/hook")
    assert SubscribeAttempt.objects.filter(ip="198.51.100.9").count() == 2
    # The limit is reached: refused before the name is looked up or the input is checked.
    for attempt in ({"url": "https://localhost/hook"}, {"email": "ann@example.com"}, {}):
        with pytest.raises(RateLimited):
            subscriber_subscribe(source=WEB, ip="198.51.100.9", **attempt)
    assert not Subscriber.objects.exists()


@pytest.mark.urls(__name__)
def test_the_form_answers_a_refused_webhook_without_the_address(strict, viewer):
    response = Client().post("/subscribe", {"url": "https://localhost/hook"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "this address can&#x27;t receive updates" in body.lower()
    assert "127.0.0.1" not in body and "loopback" not in body and "resolves" not in body


@pytest.mark.urls(__name__)
def test_subscribing_an_active_email_reads_exactly_like_a_new_subscription(
    strict, viewer, mailoutbox, django_capture_on_commit_callbacks
):
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        new = client.post("/subscribe", {"email": "ann@example.com"})
    subscriber = Subscriber.objects.get()
    subscriber_confirm(token=tokens.make_token(subscriber.pk, tokens.CONFIRM))
    with django_capture_on_commit_callbacks(execute=True):
        again = client.post("/subscribe", {"email": "ann@example.com"})
    assert (again.status_code, again.content) == (new.status_code, new.content)
    assert "Check your inbox" in again.content.decode()
    # What the page says is true: a link went out both times; the subscription is unchanged.
    assert [m.to for m in mailoutbox] == [["ann@example.com"], ["ann@example.com"]]
    assert (
        Subscriber.objects.get().confirmed_at
        == subscriber_confirm(token=tokens.make_token(subscriber.pk, tokens.CONFIRM)).confirmed_at
    )

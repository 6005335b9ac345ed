"""Checking where notifications may go: email addresses, and webhook URLs that must not reach
inside our own network (SSRF) unless an admin allows it.

A webhook URL is checked when someone subscribes and again before every delivery, because a
name that resolved to a public address yesterday may resolve to 127.0.0.1 today. The delivery
then connects to exactly the address that was checked, so a second DNS answer cannot slip in
between the check and the connection."""

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.text import refuse_unsafe_characters

EMAIL_MAX = 254
URL_MAX = 500


def clean_email(value, *, field: str = "email") -> str:
    """A trimmed, lower-cased address, or a ValidationError naming `field`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("give an email address", field=field)
    address = value.strip().lower()
    if len(address) > EMAIL_MAX:
        raise ValidationError(f"is longer than {EMAIL_MAX} characters", field=field)
    try:
        validate_email(address)
    except DjangoValidationError:
        problem = f"{value.strip()!r} is not a valid email address"
        raise ValidationError(problem, field=field) from None
    return address


class AddressRefused(ValidationError):
    """The URL is well-formed but may not receive webhooks (scheme or address policy).
    Retrying will not help; at delivery time this fails the delivery at once."""


class NotPublic(AddressRefused):
    """The host resolves to an address webhooks may not go to (the message says which)."""


class Unresolvable(ValidationError):
    """The host does not resolve (perhaps only for now: a delivery tries again later)."""


# What a visitor subscribing a webhook is told when its host does not resolve or resolves to
# a refused address: the same words either way, naming no address, so the form tells nobody
# what our network's names resolve to, or which of them exist.
CANNOT_RECEIVE = "this address can't receive updates"


@dataclass(frozen=True)
class Target:
    """A checked webhook destination: where to connect, and what to call it (Host, SNI)."""

    scheme: str
    host: str
    port: int
    addresses: tuple[str, ...]  # the IP addresses that passed the check
    path: str  # path and query, as sent on the request line


IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# IPv4 ranges that are not a receiver's own address though Python counts some as global:
# IETF protocol assignments (192.0.0.0/24, e.g. 192.0.0.9 and .10 are anycast services) and the
# former 6to4 relay anycast (192.88.99.0/24).
_IPV4_REFUSED = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "192.88.99.0/24"))

# IPv6 forms that stand for an IPv4 address reached through a translator or tunnel that is not
# ours to trust: they are refused whatever IPv4 address they carry (a receiver has a plain
# IPv4 or a native IPv6 address). Name, network.
_IPV6_TRANSLATED = tuple(
    (name, ipaddress.ip_network(network))
    for name, network in (
        ("an IPv4-mapped", "::ffff:0:0/96"),
        ("an IPv4-translated", "::ffff:0:0:0/96"),
        ("an IPv4-compatible", "::/96"),
        ("a 6to4", "2002::/16"),
        ("a Teredo", "2001::/32"),
        ("a NAT64", "64:ff9b::/96"),
        ("a local NAT64", "64:ff9b:1::/48"),
    )
)

# IPv6 ranges no receiver has that Python 3.11 counts as global: the deprecated site-local
# prefix (RFC 3879) and the documentation prefix of RFC 9637. Name, network.
_IPV6_NOT_GLOBAL = tuple(
    (name, ipaddress.ip_network(network))
    for name, network in (("a site-local", "fec0::/10"), ("a documentation", "3fff::/20"))
)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address carries (mapped, translated, compatible, 6to4, Teredo
    client, NAT64 well-known or local-use prefix), or None."""
    packed = ip.packed
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if ip in _LOCAL_NAT64:  # RFC 6052, /48 prefix: bits 48-63 and 72-87
        return ipaddress.IPv4Address(packed[6:8] + packed[9:11])
    translated = packed[:12] == bytes(8) + b"\xff\xff\x00\x00"
    compatible = packed[:12] == bytes(12) and int(ip) > 1  # not :: or ::1
    if translated or compatible or ip in _NAT64:
        return ipaddress.IPv4Address(packed[12:])
    return None


def refusal(ip: IPAddress) -> str | None:
    """Why this address may not receive webhooks, or None if it may. Only global unicast
    addresses may. An IPv6 address carrying an IPv4 one is judged by both, and the transition
    forms (mapped, compatible, 6to4, Teredo, NAT64) are refused whatever they carry."""
    if isinstance(ip, ipaddress.IPv6Address):
        inner = embedded_ipv4(ip)
        if inner is not None and (reason := refusal(inner)):
            return f"{reason} inside {ip}"
        for name, network in _IPV6_TRANSLATED:
            if ip in network and int(ip) > 1:  # :: and ::1 are named below
                return f"{name} address ({ip})"
        for name, network in _IPV6_NOT_GLOBAL:
            if ip in network:
                return f"{name} address ({ip})"
    for flag, words in (
        ("is_loopback", "a loopback"),
        ("is_link_local", "a link-local"),
        ("is_multicast", "a multicast"),
        ("is_unspecified", "an unspecified"),
        ("is_reserved", "a reserved"),
        ("is_private", "a private"),
    ):
        if getattr(ip, flag):
            return f"{words} address ({ip})"
    if not ip.is_global or any(ip in network for network in _IPV4_REFUSED):
        return f"a non-public address ({ip})"
    return None


def _parse(url: str, field: str):
    if not isinstance(url, str) or not url.strip():
        raise ValidationError("give a URL", field=field)
    url = url.strip()
    if len(url) > URL_MAX:
        raise ValidationError(f"is longer than {URL_MAX} characters", field=field)
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise ValidationError("is not a valid URL", field=field) from None
    allowed = ("https", "http") if settings.WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise AddressRefused(
            "must start with https://" if "http" not in allowed else "must be http(s)://",
            field=field,
        )
    if not parts.hostname:
        raise ValidationError("has no host name", field=field)
    if parts.username or parts.password:
        raise ValidationError("must not contain a user name or password", field=field)
    if any(ch.isspace() for ch in url):
        raise ValidationError("must not contain spaces", field=field)
    return url, parts, port or (443 if parts.scheme == "https" else 80)


def resolve_webhook(url: str, *, field: str = "url") -> Target:
    """Check a webhook URL and resolve its host. Refused (ValidationError naming `field`) when
    the scheme is not allowed, the host does not resolve, or ANY of its addresses is private,
    loopback, link-local, reserved or multicast, unless WEBHOOKS_ALLOW_PRIVATE is on."""
    url, parts, port = _parse(url, field)
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError, OSError):
        raise Unresolvable(f"the host {host!r} does not resolve", field=field) from None
    addresses = []
    for info in infos:
        text = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        if text not in addresses:
            addresses.append(text)
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for text in addresses:
            reason = refusal(ipaddress.ip_address(text))
            if reason:
                raise NotPublic(
                    f"{host} resolves to {reason}; webhooks may only go to public addresses",
                    field=field,
                )
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    return Target(parts.scheme, host, port, tuple(addresses), path)


def clean_webhook_url(value, *, field: str = "url") -> str:
    """The URL as given (trimmed), after `resolve_webhook` accepted it. For the subscribe form:
    a host that does not resolve or resolves to a refused address is CANNOT_RECEIVE, without
    the reason (deliveries keep the full reason for admins)."""
    if isinstance(value, str):  # stored and shown, so held to the text check
        refuse_unsafe_characters(value, field=field)
    try:
        resolve_webhook(value, field=field)
    except (Unresolvable, NotPublic):
        raise ValidationError(CANNOT_RECEIVE, field=field) from None
    return value.strip()

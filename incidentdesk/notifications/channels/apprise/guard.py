"""Holding Apprise's HTTP connections to the webhook address rules while it sends.

Apprise's HTTP services send through `requests`, which opens every connection (to the service,
to a redirect's target, to a proxy) through `urllib3.util.connection.create_connection`. Inside
`checked_connections()`, and only in the thread that entered it, that function resolves the
host, refuses the connection when any of its addresses is not a global unicast address (the
rules of addresses.refusal; WEBHOOKS_ALLOW_PRIVATE lifts them) and connects to exactly the
addresses it checked, so a second DNS answer cannot slip in. Everywhere else it is urllib3's
own function, unchanged."""

import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings

from incidentdesk.notifications.addresses import refusal

_local = threading.local()
_installed: list = []


class Refused(OSError):
    """A connection the address rules refused (urllib3 reports it as a failed connection)."""


def _checked_create_connection(address, *args, **kwargs) -> socket.socket:
    refusals = getattr(_local, "refusals", None)
    original = _installed[0]
    if refusals is None:
        return original(address, *args, **kwargs)
    host, port = address[0], address[1]
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise socket.gaierror(f"the host {host!r} does not resolve") from exc
    addresses = list(dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos))
    if not settings.WEBHOOKS_ALLOW_PRIVATE:
        for text in addresses:
            reason = refusal(ipaddress.ip_address(text))
            if reason:
                refusals.append(
                    f"{host} resolves to {reason}; Apprise may only reach public addresses"
                )
                raise Refused(refusals[-1])
    error: OSError | None = None
    for text in addresses:
        try:
            return original((text, port), *args, **kwargs)
        except OSError as exc:
            error = exc
    raise error or OSError(f"no address for {host}")


def install() -> None:
    """Put the checking function in urllib3's place (once per process)."""
    if _installed:
        return
    from urllib3.util import connection

    _installed.append(connection.create_connection)
    connection.create_connection = _checked_create_connection


@contextmanager
def checked_connections() -> Iterator[list[str]]:
    """Within the block, this thread's urllib3 connections are checked; the list collects the
    reasons of the ones refused."""
    install()
    refusals: list[str] = []
    _local.refusals = refusals
    try:
        yield refusals
    finally:
        _local.refusals = None

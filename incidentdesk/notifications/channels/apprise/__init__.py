"""Every service the Apprise library speaks (Pushover, Telegram, Gotify, Matrix, many SMS
gateways…), one Apprise URL per address: `pover://user@token`, `tgram://bot-token/chat-id`,
`gotifys://gotify.example.org/token`. The words come from the renderer its topic registered for
the `apprise` kind: `{"title", "text"}`.

Where Apprise may connect is held to the webhook address rules (global addresses only, unless
WEBHOOKS_ALLOW_PRIVATE):
- an address whose service Apprise does not reach over HTTP (email over SMTP, MQTT, syslog,
  XMPP, IRC, desktop notifications…) is refused when it is added and fails at send time: we
  could not check where those go;
- a self-hosted service's host (`json://`, `gotify://`, `ntfy://host/…`, `matrix://`…) is
  resolved and checked when the address is added;
- while Apprise sends, every connection it opens through urllib3 (all its HTTP services go
  through `requests`) is checked as it is made, redirects and cloud services' fixed hosts
  included, and made to exactly the checked addresses (`guard.py`).
A delivery Apprise reports as failed is tried again with the engine's backoff (Apprise tells
whether it sent, not why or for how long to wait); one refused by the address rules fails at
once."""

import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

from django.conf import settings

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.notifications import registry
from incidentdesk.notifications.addresses import (
    CANNOT_RECEIVE,
    URL_MAX,
    NotPublic,
    Unresolvable,
    resolve_webhook,
)
from incidentdesk.notifications.channels.apprise import guard
from incidentdesk.notifications.channels.base import Outcome, describe
from incidentdesk.notifications.models import Delivery

TITLE_LIMIT = 250
TEXT_LIMIT = 4000


def service(url: str) -> Any:
    """The Apprise plugin object for an Apprise URL, or None when no plugin takes it."""
    import apprise  # imported when first used: loading it costs every process ~0.1 s

    return apprise.Apprise.instantiate(url, suppress_exceptions=True)


def speaks_http(plugin: Any) -> bool:
    """Whether the plugin sends through `requests` (so through the connection guard): its
    class, or a class it is built on, comes from an Apprise plugin module that uses it."""
    for cls in type(plugin).__mro__:
        module = sys.modules.get(cls.__module__)
        if cls.__module__.startswith("apprise.plugins.") and "requests" in vars(module or {}):
            return True
    return False


def self_hosted_host(plugin: Any) -> str:
    """The host a self-hosted service's URL names (its plugin takes a `host`), else ""
    (a cloud service, whose URL carries keys where a host would be)."""
    tokens = getattr(plugin, "template_tokens", {}) or {}
    return str(getattr(plugin, "host", "") or "") if "host" in tokens else ""


def clean_apprise_url(value, *, field: str = "address") -> str:
    """An Apprise URL that a plugin takes, that goes over HTTP, and whose self-hosted host (if
    any) resolves to addresses the webhook rules allow; else a ValidationError naming
    `field`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("give an Apprise URL", field=field)
    url = value.strip()
    refuse_unsafe_characters(url, field=field)
    if len(url) > URL_MAX:
        raise ValidationError(f"is longer than {URL_MAX} characters", field=field)
    plugin = service(url)
    if plugin is None:
        raise ValidationError(
            "is not an Apprise URL of a service Apprise knows (e.g. pover://user@token)",
            field=field,
        )
    if not speaks_http(plugin):
        raise ValidationError(
            f"{type(plugin).service_name} does not go over HTTP, so where it connects "
            "cannot be checked; use its own channel kind or an HTTP service",
            field=field,
        )
    host = self_hosted_host(plugin)
    if host:
        literal = f"[{host}]" if ":" in host else host
        try:
            resolve_webhook(f"https://{literal}/", field=field)
        except (Unresolvable, NotPublic):
            raise ValidationError(CANNOT_RECEIVE, field=field) from None
    return url


class _ThreadLog(logging.Handler):
    """Apprise's warnings and errors logged by this thread while it sends (why it failed)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.thread = threading.get_ident()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread == self.thread:
            self.lines.append(record.getMessage())


class AppriseChannel:
    def send(self, batch: list[Delivery]) -> Iterator[Outcome]:
        for delivery in batch:
            yield self._deliver(delivery)

    def _deliver(self, delivery: Delivery) -> Outcome:
        event = delivery.event
        words = registry.words_for(event.topic, event.payload, "apprise") or {}
        text = str(words.get("text") or "").strip()
        if not text:
            return Outcome(delivery, f"no apprise words for {event.topic!r}", permanent=True)
        plugin = service(delivery.recipient)
        if plugin is None:
            return Outcome(delivery, "no Apprise service takes this URL", permanent=True)
        if not speaks_http(plugin):
            return Outcome(
                delivery, "refused: this Apprise service does not go over HTTP", permanent=True
            )
        # Our bound on each wait, whatever the URL's own cto=/rto= say.
        plugin.socket_connect_timeout = plugin.socket_read_timeout = float(
            settings.WEBHOOK_TIMEOUT_SECONDS
        )
        log = _ThreadLog()
        apprise_log = logging.getLogger("apprise")
        apprise_log.addHandler(log)
        try:
            with guard.checked_connections() as refused:
                sent = plugin.notify(
                    body=text[:TEXT_LIMIT], title=str(words.get("title") or "")[:TITLE_LIMIT]
                )
        except Exception as exc:  # a plugin's bug must not stop the batch
            return Outcome(delivery, describe(exc))
        finally:
            apprise_log.removeHandler(log)
        if refused:
            return Outcome(delivery, f"refused: {refused[0]}", permanent=True)
        if sent:
            return Outcome(delivery)
        why = log.lines[-1] if log.lines else "Apprise could not send it"
        return Outcome(delivery, why[:500])

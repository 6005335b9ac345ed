"""Text messages through the configured SMS provider (providers.py: SMS_PROVIDER and its
settings). The address is a phone number in E.164 form (`+` and 8 to 15 digits); the words
come from the renderer its topic registered for the `sms` kind: `{"text"}`. The `voice` kind
(channels/voice) places calls through the same provider.

Without a provider every delivery fails at once saying so (nothing can send it until an admin
configures one, and a page then escalates to its next step rather than waiting)."""

import re

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications import registry
from incidentdesk.notifications.channels.base import Outcome
from incidentdesk.notifications.channels.posting import PostingChannel
from incidentdesk.notifications.channels.sms.providers import Provider, ProviderError, configured
from incidentdesk.notifications.models import Delivery

E164 = re.compile(r"\+[1-9][0-9]{7,14}")
# What people write inside a number and E.164 leaves out.
_SEPARATORS = re.compile(r"[\s().-]")


def clean_phone_number(value, *, field: str = "address") -> str:
    """A phone number in E.164 form (`+442079460958`), spaces, dots, dashes and brackets
    dropped; otherwise a ValidationError naming `field`."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError("give a phone number", field=field)
    number = _SEPARATORS.sub("", value.strip())
    if not E164.fullmatch(number):
        raise ValidationError(
            "must be a phone number in international form: + and 8 to 15 digits (+442079460958)",
            field=field,
        )
    return number


class ProviderChannel(PostingChannel):
    """A channel kind that reaches a phone number through the configured provider, with the
    one word its renderer writes (`word`)."""

    kind = ""
    word = ""

    def reach(self, provider: Provider, number: str, words: str) -> str:
        raise NotImplementedError

    def deliver(self, delivery: Delivery) -> Outcome:
        event = delivery.event
        words = registry.words_for(event.topic, event.payload, self.kind) or {}
        if not str(words.get(self.word) or "").strip():
            return Outcome(delivery, f"no {self.kind} words for {event.topic!r}", permanent=True)
        try:
            self.reach(self.provider(), delivery.recipient, str(words[self.word]))
        except ProviderError as exc:
            return Outcome(
                delivery, exc.message, permanent=exc.permanent, retry_after=exc.retry_after
            )
        return Outcome(delivery)

    def __init__(self) -> None:
        super().__init__()
        self._provider: Provider | ProviderError | None = None

    def provider(self) -> Provider:
        # One provider (one connection) for the whole batch; a refusal to configure it is
        # remembered too.
        if self._provider is None:
            try:
                self._provider = configured(self.poster)
            except ProviderError as exc:
                self._provider = exc
        if isinstance(self._provider, ProviderError):
            raise self._provider
        return self._provider


class SmsChannel(ProviderChannel):
    kind = "sms"
    word = "text"

    def reach(self, provider: Provider, number: str, words: str) -> str:
        return provider.send_sms(number, words)

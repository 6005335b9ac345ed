"""SMS and voice providers: one small interface (`Provider`), one HTTP provider implemented
(Twilio's REST API), chosen by SMS_PROVIDER.

Twilio: `POST {SMS_API_URL}/2010-04-01/Accounts/{SMS_ACCOUNT_SID}/Messages.json` (an SMS:
`To`, `From`, `Body`) and `.../Calls.json` (a call: `To`, `From`, `Twiml`, a
`<Response><Say>…</Say></Response>` document with the speech XML-escaped), form-encoded,
with HTTP basic auth (the account SID and its auth token). Twilio answers 201 with the new
message's or call's `sid`, and a refusal with `{"code", "message", "more_info", "status"}`."""

import base64
import json
from typing import Protocol
from urllib.parse import quote, urlencode
from xml.sax.saxutils import escape

from django.conf import settings

from incidentdesk.core.errors import ValidationError
from incidentdesk.notifications.addresses import Target
from incidentdesk.notifications.channels.posting import (
    UNANSWERED,
    Answer,
    Poster,
    operator_target,
    unanswered,
)

USER_AGENT = "IncidentDesk-SMS/1"
SMS_LIMIT = 1600  # the longest Body Twilio takes
SPEECH_LIMIT = 3000  # leaves room for the TwiML around it within Twilio's 4,000 characters


class ProviderError(Exception):
    """A provider did not take the message: `permanent` when retrying cannot help, and how
    long it asked us to wait."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float = 0.0):
        super().__init__(message)
        self.message = message[:500]
        self.permanent = permanent
        self.retry_after = retry_after


class NotConfigured(ProviderError):
    def __init__(self, message: str):
        super().__init__(message, permanent=True)


class Provider(Protocol):
    """Sends text messages and places calls; each returns the provider's id for what it sent,
    or raises ProviderError."""

    def send_sms(self, to: str, text: str) -> str: ...

    def call(self, to: str, speech: str) -> str: ...


def twiml_say(speech: str) -> str:
    """The TwiML document that says `speech` when the call is answered."""
    return f"<Response><Say>{escape(speech[:SPEECH_LIMIT])}</Say></Response>"


class Twilio:
    """Twilio's REST API (or anything that speaks it, at SMS_API_URL)."""

    def __init__(self, poster: Poster, *, api_url: str, account_sid: str, auth_token: str, sender):
        self.poster = poster
        self.account_sid = account_sid
        self.sender = sender
        credentials = f"{account_sid}:{auth_token}".encode()
        self.authorization = "Basic " + base64.b64encode(credentials).decode()
        try:
            self.target: Target = operator_target(api_url, field="SMS_API_URL")
        except ValidationError as exc:
            raise ProviderError(f"SMS_API_URL: {exc.message}") from None

    def send_sms(self, to: str, text: str) -> str:
        return self._create("Messages", {"To": to, "From": self.sender, "Body": text[:SMS_LIMIT]})

    def call(self, to: str, speech: str) -> str:
        return self._create("Calls", {"To": to, "From": self.sender, "Twiml": twiml_say(speech)})

    def _create(self, resource: str, fields: dict) -> str:
        path = f"{self.target.path}/2010-04-01/Accounts/{quote(self.account_sid)}/{resource}.json"
        headers = {
            "Authorization": self.authorization,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        try:
            answer = self.poster.post(self.target, urlencode(fields).encode(), headers, path=path)
        except UNANSWERED as exc:
            raise ProviderError(unanswered(exc, self.poster.timeout)) from None
        if answer.ok:
            return str(_json(answer).get("sid") or "")
        raise _refusal(answer)


def _json(answer: Answer) -> dict:
    try:
        found = json.loads(answer.body)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}


def _refusal(answer: Answer) -> ProviderError:
    """Twilio's refusal in its own words. A 400 is a message Twilio will never take as it is
    (a number that is not one, a number that opted out); a 429 waits its Retry-After; a
    refused login (401/403), a missing account (404) or a server error may mend."""
    found = _json(answer)
    words = f"HTTP {answer.status} {answer.reason}".strip()
    if found.get("code") or found.get("message"):
        words = f"{words}: Twilio {found.get('code', '')} {found.get('message', '')}".strip()
    if answer.status == 429:
        return ProviderError(words, retry_after=answer.retry_after())
    return ProviderError(words, permanent=answer.status == 400)


PROVIDERS = {"twilio": Twilio}


def configured(poster: Poster) -> Provider:
    """The provider SMS_PROVIDER names, with its settings, or NotConfigured saying what is
    missing."""
    name = settings.SMS_PROVIDER.strip().lower()
    if not name:
        raise NotConfigured("SMS and voice are not configured (SMS_PROVIDER is empty)")
    if name not in PROVIDERS:
        raise NotConfigured(f"SMS_PROVIDER {name!r} is not one of: {', '.join(PROVIDERS)}")
    missing = [
        setting
        for setting in ("SMS_ACCOUNT_SID", "SMS_AUTH_TOKEN", "SMS_FROM")
        if not getattr(settings, setting)
    ]
    if missing:
        raise NotConfigured(f"SMS and voice are not configured ({', '.join(missing)} empty)")
    return PROVIDERS[name](
        poster,
        api_url=settings.SMS_API_URL,
        account_sid=settings.SMS_ACCOUNT_SID,
        auth_token=settings.SMS_AUTH_TOKEN,
        sender=settings.SMS_FROM,
    )

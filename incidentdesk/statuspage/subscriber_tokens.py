"""Links and secrets for status page subscribers, derived from SECRET_KEY so nothing needs storing.

- confirm and unsubscribe links carry a signed subscriber id; the purpose is part of the
  signature's salt, so one kind of link never works as the other. Confirm links expire after
  7 days; unsubscribe links never do (an old email must always let its reader leave).
- a webhook subscriber's signing secret is HMAC(SECRET_KEY, "webhook:<id>"): shown once when
  the subscription is made, recomputed for every delivery, never written down."""

import hashlib
import hmac
from datetime import timedelta

from django.conf import settings
from django.core import signing

from incidentdesk.core.errors import ValidationError

CONFIRM = "confirm"
UNSUBSCRIBE = "unsubscribe"
CONFIRM_MAX_AGE = timedelta(days=7)
# Where the public pages answer these links (served by the status page's views).
CONFIRM_PATH = "/subscribe/confirm/{token}"
UNSUBSCRIBE_PATH = "/unsubscribe/{token}"


def _salt(purpose: str) -> str:
    return f"incidentdesk.subscriber.{purpose}"


def make_token(subscriber_id: int, purpose: str) -> str:
    return signing.dumps(subscriber_id, salt=_salt(purpose))


def read_token(token: str, purpose: str) -> int:
    """The subscriber id in a token, or a ValidationError naming `token`."""
    max_age = CONFIRM_MAX_AGE if purpose == CONFIRM else None
    try:
        value = signing.loads(str(token or ""), salt=_salt(purpose), max_age=max_age)
    except signing.SignatureExpired:
        raise ValidationError("this link has expired; subscribe again", field="token") from None
    except signing.BadSignature:
        raise ValidationError("this link is not valid", field="token") from None
    if not isinstance(value, int):
        raise ValidationError("this link is not valid", field="token")
    return value


def confirm_url(subscriber) -> str:
    return settings.BASE_URL + CONFIRM_PATH.format(token=make_token(subscriber.pk, CONFIRM))


def unsubscribe_url(subscriber) -> str:
    return settings.BASE_URL + UNSUBSCRIBE_PATH.format(token=make_token(subscriber.pk, UNSUBSCRIBE))


def webhook_secret(subscriber) -> str:
    """The key a webhook subscriber verifies our signatures with (hex)."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"webhook:{subscriber.pk}".encode(), hashlib.sha256).hexdigest()

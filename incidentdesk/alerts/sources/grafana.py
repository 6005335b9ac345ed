"""Grafana Alerting's webhook contact point, and its optional HMAC signature.

The body is Alertmanager's shape with `"version": "1"` and a few additions (the "JSON
payload" section of Grafana's webhook notifier documentation,
`docs/sources/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier.md`):
`orgId` on the message; `values`, `silenceURL`, `imageURL`, `dashboardURL` and `panelURL` on each
alert. Those are kept in the alert's details (`org_id`, `values`, `silence_url`, `image_url`,
`dashboard_url`, `panel_url`); `title`, `state` and `message` (templated, marked for deprecation)
are ignored. Everything else is read as `alertmanager.read_group` reads it. A message without a
`version` is read as "1"; another version is refused.

Signature (checked by `verify` before `parse`, by the intake view). Confirmed in two places:
- Grafana's documentation of the webhook notifier, "HMAC signature" section
  (https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/):
  HMAC-SHA256 with the shared secret, sent hex-encoded in a header whose default name is
  `X-Grafana-Alerting-Signature`; when a timestamp header is configured, Grafana puts the Unix
  time in seconds there and signs `timestamp + ":" + body`, else the body alone.
- The sender, `http/hmac.go` in grafana/alerting (`HMACRoundTripper.sign`, read at commit
  fdde1a13): the same computation (the timestamp, the separator ":", then the raw body, hex
  digest). Its fallback header name when none is configured is `X-Grafana-Alert-Signature`, so
  that name is accepted too.
The timestamp header has no default name; the provisioning examples use
`X-Grafana-Alerting-Signature-Timestamp`, some set-ups `X-Grafana-Alerting-Timestamp`: both are
looked for unless the integration names its own.
"""

import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from typing import Any

from incidentdesk.alerts.sources.alertmanager import read_group
from incidentdesk.alerts.sources.base import (
    AlertInput,
    SourceError,
    header,
    load_json,
    text,
    want_object,
)

VERSION = "1"
SIGNATURE_HEADERS = ("X-Grafana-Alerting-Signature", "X-Grafana-Alert-Signature")
TIMESTAMP_HEADERS = ("X-Grafana-Alerting-Signature-Timestamp", "X-Grafana-Alerting-Timestamp")
# A signed request older (or further ahead) than this is a replay, or a clock to fix.
MAX_SIGNATURE_AGE_SECONDS = 5 * 60
MAX_VALUES = 100
HEX_SHA256 = re.compile(r"[0-9a-f]{64}")
ALERT_URLS = {
    "silenceURL": "silence_url",
    "imageURL": "image_url",
    "dashboardURL": "dashboard_url",
    "panelURL": "panel_url",
}


def parse(body: bytes, headers: Mapping[str, str]) -> list[AlertInput]:
    """One AlertInput per alert of a Grafana Alerting webhook message."""
    payload = want_object(load_json(body), field="body")
    version = payload.get("version")
    if version is not None and version != VERSION:
        raise SourceError(f'must be "{VERSION}" (Grafana\'s webhook payload)', field="version")
    details: dict[str, Any] = {}
    org_id = payload.get("orgId")
    if org_id is not None:
        if not isinstance(org_id, int) or isinstance(org_id, bool):
            raise SourceError("must be a number", field="orgId")
        details["org_id"] = org_id
    for name, kept in (("receiver", "receiver"), ("externalURL", "external_url")):
        value = text(payload.get(name), field=name)
        if value:
            details[kept] = value
    return read_group(payload, details=details, extra=alert_details)


def alert_details(alert: dict[str, Any], where: str) -> dict[str, Any]:
    """What Grafana adds to an alert worth keeping: the values that fired it and its links."""
    kept: dict[str, Any] = {}
    for name, key in ALERT_URLS.items():
        value = text(alert.get(name), field=f"{where}.{name}")
        if value:
            kept[key] = value
    values = alert.get("values")
    if values is not None:
        values = want_object(values, field=f"{where}.values")
        if len(values) > MAX_VALUES:
            raise SourceError(f"has over {MAX_VALUES} entries", field=f"{where}.values")
        for name, value in values.items():
            text(name, field=f"{where}.values.<name>", max_length=255)
            if value is not None and (
                not isinstance(value, int | float) or isinstance(value, bool)
            ):
                raise SourceError("must be a number", field=f"{where}.values.{name}")
        kept["values"] = values
    return kept


def verify(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    signature_header: str = "",
    timestamp_header: str = "",
    now: float | None = None,
) -> bool:
    """Whether `body` carries Grafana's HMAC-SHA256 signature made with `secret`.

    The signature is read from `signature_header` (else Grafana's default names); the
    timestamp from `timestamp_header`, which is then required, else from the usual names when
    present. A timestamp more than five minutes from `now` fails, so a captured request cannot
    be replayed later. Never raises on what the request holds."""
    if not secret or not isinstance(body, bytes | bytearray):
        return False
    names = (signature_header,) if signature_header else SIGNATURE_HEADERS
    signature = next((header(headers, name) for name in names if header(headers, name)), "")
    signature = signature.strip().lower()
    if not HEX_SHA256.fullmatch(signature):
        return False
    names = (timestamp_header,) if timestamp_header else TIMESTAMP_HEADERS
    stamp = next((header(headers, name) for name in names if header(headers, name)), "").strip()
    if timestamp_header and not stamp:
        return False
    signed = bytes(body)
    if stamp:
        if not stamp.isascii() or not stamp.isdigit() or len(stamp) > 12:
            return False
        current = time.time() if now is None else now
        if abs(current - int(stamp)) > MAX_SIGNATURE_AGE_SECONDS:
            return False
        signed = stamp.encode() + b":" + signed
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)

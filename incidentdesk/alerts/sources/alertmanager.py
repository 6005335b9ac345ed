"""Prometheus Alertmanager's webhook, payload version 4.

Alertmanager posts one message per notification of a group (`notify/webhook/webhook.go` in
prometheus/alertmanager: the template data plus `version`, `groupKey` and `truncatedAlerts`;
the fields are listed under `<webhook_config>` in its `docs/configuration.md`). Each message is
a snapshot of the whole group, re-sent on every change and every repeat interval, so this
source returns one `AlertInput` per inner alert and leaves it to the alert service to notice
what is new.

- `version`: "4". A message without one is read as version 4 (a relay or a hand-made test post
  may drop it); any other version is refused, since it may not be this shape (Grafana's "1"
  belongs to a `grafana` integration).
- key: the alert's `fingerprint`, else a stable hash of its sorted labels; group key: the
  message's `groupKey` (hashed to `sha256:<hex>` when it is longer than a key may be, as a group
  with many `group_by` labels makes it).
- status, labels, annotations, `generatorURL` from the alert; summary from
  `annotations.summary`, else `annotations.description`, else `labels.alertname`; severity from
  `labels.severity`.
- `startsAt`/`endsAt` are RFC 3339; Go's zero time (`0001-01-01T00:00:00Z`) means none. A firing
  alert's `endsAt` is only when Alertmanager would presume it over, so it is kept for resolved
  alerts alone.
- Fields this source does not use (`notification_reason`, `routeLabels`, `groupLabels`, …) are
  ignored, as Alertmanager's own template data asks of receivers.
"""

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from incidentdesk.alerts.sources.base import (
    MAX_KEY_LENGTH,
    AlertInput,
    SourceError,
    alert_list,
    key_text,
    load_json,
    string_map,
    text,
    timestamp,
    want_object,
)

VERSION = "4"
STATUSES = ("firing", "resolved")


def parse(body: bytes, headers: Mapping[str, str]) -> list[AlertInput]:
    """One AlertInput per alert of an Alertmanager webhook message."""
    payload = want_object(load_json(body), field="body")
    version = payload.get("version")
    if version is not None and version != VERSION:
        raise SourceError(f'must be "{VERSION}" (Alertmanager\'s webhook payload)', field="version")
    details = {}
    receiver = text(payload.get("receiver"), field="receiver")
    if receiver:
        details["receiver"] = receiver
    external_url = text(payload.get("externalURL"), field="externalURL")
    if external_url:
        details["external_url"] = external_url
    return read_group(payload, details=details)


def read_group(
    payload: dict[str, Any],
    *,
    details: dict[str, Any],
    extra: Callable[[dict[str, Any], str], dict[str, Any]] | None = None,
) -> list[AlertInput]:
    """The alerts of an Alertmanager-shaped message (Alertmanager's and Grafana's).
    `details` are kept on every alert; `extra(alert, index)` returns more per alert."""
    group_key = group_key_of(payload.get("groupKey"))
    truncated = payload.get("truncatedAlerts")
    if truncated is not None and (
        not isinstance(truncated, int) or isinstance(truncated, bool) or truncated < 0
    ):
        raise SourceError("must be a count", field="truncatedAlerts")
    alerts = []
    for index, item in enumerate(alert_list(payload.get("alerts"), field="alerts")):
        where = f"alerts[{index}]"
        alert = want_object(item, field=where)
        more = dict(details)
        if extra is not None:
            more.update(extra(alert, where))
        alerts.append(read_alert(alert, where=where, group_key=group_key, details=more))
    return alerts


def read_alert(
    alert: dict[str, Any], *, where: str, group_key: str, details: dict[str, Any]
) -> AlertInput:
    status = alert.get("status")
    if status not in STATUSES:
        raise SourceError('must be "firing" or "resolved"', field=f"{where}.status")
    labels = string_map(alert.get("labels"), field=f"{where}.labels")
    annotations = string_map(alert.get("annotations"), field=f"{where}.annotations")
    key = key_text(alert.get("fingerprint"), field=f"{where}.fingerprint")
    if not key:
        if not labels:
            raise SourceError(
                "is required when the alert has no labels", field=f"{where}.fingerprint"
            )
        key = labels_hash(labels)
    starts_at = timestamp(alert.get("startsAt"), field=f"{where}.startsAt")
    ends_at = timestamp(alert.get("endsAt"), field=f"{where}.endsAt")
    summary = (
        annotations.get("summary")
        or annotations.get("description")
        or labels.get("alertname")
        or key
    )
    return AlertInput(
        key=key,
        group_key=group_key,
        status=status,
        summary=summary,
        severity=labels.get("severity", ""),
        labels=labels,
        annotations=annotations,
        starts_at=starts_at,
        ends_at=ends_at if status == "resolved" else None,
        source_url=text(alert.get("generatorURL"), field=f"{where}.generatorURL"),
        details=details,
    )


def group_key_of(value: Any) -> str:
    """The message's groupKey, bounded to a key's length by hashing a longer one."""
    group_key = text(value, field="groupKey", required=True)
    if len(group_key) > MAX_KEY_LENGTH:
        return "sha256:" + hashlib.sha256(group_key.encode()).hexdigest()
    return group_key


def labels_hash(labels: dict[str, str]) -> str:
    """A stable identity for an alert that came without a fingerprint: its label set's hash."""
    canonical = json.dumps(sorted(labels.items()), ensure_ascii=False, separators=(",", ":"))
    return "labels:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]

"""IncidentDesk's own alert shape, for anything that is neither Alertmanager, Grafana nor
PagerDuty-speaking (a cron job, a script, a home-made check).

The body is one alert, a list of alerts, or `{"alerts": [...]}` (at most 1000). An alert:

    {
      "key": "db-primary-disk",          required; its identity (at most 255 characters):
                                         posts with the same key are the same alert
      "group": "db-primary",             optional (at most 255); alerts with one group make
                                         one alert group; the key when absent
      "status": "firing",                optional; "firing" (the default) or "resolved"
      "summary": "Disk 95% full",        required when firing (at most 1024), one line
      "severity": "critical",            optional; your own word (at most 64)
      "labels": {"team": "db"},          optional; strings to strings, for routes to match
      "starts_at": "2026-11-30T05:00:00Z",  optional; RFC 3339 with an offset
      "url": "https://…",                optional; where to look
      "details": {…}                     optional; any JSON object, kept as it is
    }

A field not listed here is refused (so a misspelt `sumary` is not silently dropped).
"""

from collections.abc import Mapping
from typing import Any

from incidentdesk.alerts.sources.base import (
    AlertInput,
    SourceError,
    alert_list,
    free_json,
    key_text,
    load_json,
    string_map,
    text,
    timestamp,
    want_object,
)

FIELDS = frozenset(
    ("key", "group", "status", "summary", "severity", "labels", "starts_at", "url", "details")
)
STATUSES = ("firing", "resolved")
MAX_SUMMARY_LENGTH = 1024
MAX_SEVERITY_LENGTH = 64


def parse(body: bytes, headers: Mapping[str, str]) -> list[AlertInput]:
    """One AlertInput per alert of a generic post."""
    data = load_json(body)
    if isinstance(data, dict) and "alerts" in data:
        extra = sorted(set(data) - {"alerts"})
        if extra:
            raise SourceError("is not a field of the generic shape", field=extra[0])
        items, prefix = alert_list(data["alerts"], field="alerts"), "alerts"
    elif isinstance(data, list):
        items, prefix = alert_list(data, field="body"), ""
    elif isinstance(data, dict):
        return [read_alert(data, where="")]
    else:
        raise SourceError('must be an alert, a list of alerts or {"alerts": [...]}', field="body")
    return [
        read_alert(want_object(item, field=f"{prefix}[{index}]"), where=f"{prefix}[{index}]")
        for index, item in enumerate(items)
    ]


def read_alert(alert: dict[str, Any], *, where: str) -> AlertInput:
    def at(name: str) -> str:
        return f"{where}.{name}" if where else name

    unknown = sorted(set(alert) - FIELDS)
    if unknown:
        raise SourceError("is not a field of the generic shape", field=at(unknown[0]))
    key = key_text(alert.get("key"), field=at("key"), required=True)
    status = alert.get("status", "firing")
    if status not in STATUSES:
        raise SourceError('must be "firing" or "resolved"', field=at("status"))
    details = alert.get("details")
    return AlertInput(
        key=key,
        group_key=key_text(alert.get("group"), field=at("group")) or key,
        status=status,
        summary=text(
            alert.get("summary"),
            field=at("summary"),
            required=status == "firing",
            max_length=MAX_SUMMARY_LENGTH,
        ),
        severity=text(alert.get("severity"), field=at("severity"), max_length=MAX_SEVERITY_LENGTH),
        labels=string_map(alert.get("labels"), field=at("labels")),
        starts_at=timestamp(alert.get("starts_at"), field=at("starts_at")),
        source_url=text(alert.get("url"), field=at("url")),
        details={}
        if details is None
        else free_json(want_object(details, field=at("details")), field=at("details")),
    )

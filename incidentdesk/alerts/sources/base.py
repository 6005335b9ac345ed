"""What every alert source turns its payload into: the alert service's neutral input.

A source (`alerts/sources/<kind>.py`) checks nothing but the payload's shape (the intake view
checks the integration's key or signature first) and returns one `AlertInput` per alert it
carries; grouping, de-duplication, routing and paging are the alert service's. A payload it
cannot read raises `SourceError` naming the field, so the intake answers 400 with that reason
and stores nothing.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

AlertStatus = Literal["firing", "resolved", "acknowledged"]


class SourceError(ValueError):
    """The payload is not what the source sends: `field` is where (a JSON path such as
    `alerts[2].labels`), the message says what is wrong."""

    def __init__(self, message: str, *, field: str = "") -> None:
        super().__init__(f"{field}: {message}" if field else message)
        self.field = field
        self.message = message


@dataclass(frozen=True)
class AlertInput:
    """One alert as its source reports it, in the alert service's words."""

    # The alert's identity within its integration: Alertmanager/Grafana `fingerprint`,
    # PagerDuty `dedup_key`, the generic shape's `key`. Repeats of one alert share it.
    key: str
    # The group it belongs to: Alertmanager/Grafana `groupKey`, PagerDuty `dedup_key`, the
    # generic shape's `group` (else its key). One open group per (integration, group_key).
    group_key: str
    status: AlertStatus
    summary: str  # one line for people: annotations.summary, payload.summary, the alert name
    severity: str = ""  # the source's own word (critical, warning, error, info, …), "" if none
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)
    starts_at: datetime | None = None  # when the condition began, as the source says
    ends_at: datetime | None = None  # when it ended (resolved alerts)
    source_url: str = ""  # where to look (generatorURL, a dashboard, PagerDuty's links)
    details: dict = field(default_factory=dict)  # the rest worth keeping (custom_details, values)

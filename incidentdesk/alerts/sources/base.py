"""What every alert source turns its payload into: the alert service's neutral input.

A source (`alerts/sources/<kind>.py`) checks nothing but the payload's shape (the intake view
checks the integration's key or signature first) and returns one `AlertInput` per alert it
carries; grouping, de-duplication, routing and paging are the alert service's. A payload it
cannot read raises `SourceError` naming the field, so the intake answers 400 with that reason
and stores nothing.
"""

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from incidentdesk.core.text import unsafe_character, unsafe_message

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


# Limits every source holds a payload to, so one request cannot tie up the intake: a body a
# busy Alertmanager group never reaches, as many alerts as a sane group holds, and keys short
# enough for an index.
MAX_BODY_BYTES = 1024 * 1024
MAX_ALERTS = 1000
MAX_KEY_LENGTH = 255
MAX_TEXT_LENGTH = 4096  # a label or annotation value, a summary
MAX_MAP_ENTRIES = 100  # labels or annotations on one alert
MAX_DEPTH = 20  # nesting of free-form details


def load_json(body: bytes) -> Any:
    """The payload as JSON, refusing a body over MAX_BODY_BYTES, one that is not UTF-8, and
    one that is not JSON: NaN, Infinity and numbers too large for a float included, and
    nesting deeper than the parser can follow."""
    if not isinstance(body, bytes | bytearray):
        raise SourceError("the body must be bytes")
    if len(body) > MAX_BODY_BYTES:
        raise SourceError(f"the body is over {MAX_BODY_BYTES} bytes")
    try:
        return json.loads(
            body.decode("utf-8"), parse_constant=refuse_constant, parse_float=finite_float
        )
    except UnicodeDecodeError:
        raise SourceError("the body is not UTF-8") from None
    except (ValueError, RecursionError):
        raise SourceError("the body is not JSON") from None


def refuse_constant(name: str) -> Any:
    # NaN and Infinity are not JSON, and PostgreSQL's jsonb cannot store them.
    raise ValueError(name)


def finite_float(literal: str) -> float:
    # 1e400 reads as infinity, which JSON cannot carry back out.
    number = float(literal)
    if not math.isfinite(number):
        raise ValueError(literal)
    return number


def want_object(value: Any, *, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise SourceError("must be a JSON object", field=field)
    return value


def text(
    value: Any,
    *,
    field: str,
    required: bool = False,
    max_length: int = MAX_TEXT_LENGTH,
) -> str:
    """A string field: "" when absent (null or missing) and not required; refused when it is
    another type, longer than `max_length`, or holds a character text cannot carry."""
    if value is None or value == "":
        if required:
            raise SourceError("is required", field=field)
        return ""
    if not isinstance(value, str):
        raise SourceError("must be a string", field=field)
    if len(value) > max_length:
        raise SourceError(f"is over {max_length} characters", field=field)
    bad = unsafe_character(value)
    if bad:
        raise SourceError(unsafe_message(bad), field=field)
    return value


def key_text(value: Any, *, field: str, required: bool = False) -> str:
    """An identity (fingerprint, group key, dedup key): a string of at most MAX_KEY_LENGTH."""
    return text(value, field=field, required=required, max_length=MAX_KEY_LENGTH)


def string_map(value: Any, *, field: str) -> dict[str, str]:
    """Labels or annotations: an object of strings to strings ({} when absent)."""
    if value is None:
        return {}
    mapping = want_object(value, field=field)
    if len(mapping) > MAX_MAP_ENTRIES:
        raise SourceError(f"has over {MAX_MAP_ENTRIES} entries", field=field)
    return {
        key_text(name, field=f"{field}.<name>", required=True): text(item, field=f"{field}.{name}")
        for name, item in mapping.items()
    }


def free_json(value: Any, *, field: str, depth: int = 0) -> Any:
    """JSON kept as the source sent it (custom details): refused when a string in it, key or
    value, holds a character text cannot carry (NUL and lone surrogates also break PostgreSQL's
    jsonb), or when it nests deeper than MAX_DEPTH."""
    if depth > MAX_DEPTH:
        raise SourceError(f"nests deeper than {MAX_DEPTH} levels", field=field)
    if isinstance(value, str):
        bad = unsafe_character(value)
        if bad:
            raise SourceError(unsafe_message(bad), field=field)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            free_json(item, field=f"{field}[{index}]", depth=depth + 1)
    elif isinstance(value, dict):
        for name, item in value.items():
            free_json(name, field=f"{field}.<name>", depth=depth + 1)
            free_json(item, field=f"{field}.{name}", depth=depth + 1)
    return value


def timestamp(value: Any, *, field: str) -> datetime | None:
    """An RFC 3339 time with an offset; None when absent or Go's zero time
    (`0001-01-01T00:00:00Z`, which Alertmanager and Grafana send for "no end")."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > 64:
        raise SourceError("must be an RFC 3339 time", field=field)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise SourceError("must be an RFC 3339 time", field=field) from None
    if moment.tzinfo is None or "T" not in value.upper():
        raise SourceError("must be an RFC 3339 time with a time zone offset", field=field)
    if moment.year <= 1:
        return None
    return moment


def alert_list(value: Any, *, field: str) -> list[Any]:
    """The payload's alerts: a non-empty list of at most MAX_ALERTS."""
    if not isinstance(value, list):
        raise SourceError("must be a list", field=field)
    if not value:
        raise SourceError("holds no alert", field=field)
    if len(value) > MAX_ALERTS:
        raise SourceError(f"holds over {MAX_ALERTS} alerts", field=field)
    return value


def header(headers: Mapping[str, str], name: str) -> str:
    """A request header by name, whatever its case ("" when absent)."""
    lowered = name.lower()
    for candidate, value in headers.items():
        if isinstance(candidate, str) and candidate.lower() == lowered:
            return value if isinstance(value, str) else ""
    return ""

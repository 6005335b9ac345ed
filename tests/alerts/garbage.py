"""Malformed bodies of many shapes for the alert sources: raw bytes that are not JSON, JSON of
every type, and a real payload with one field anywhere replaced by a wrong value or removed.
A source must answer each with alerts or a SourceError, never another exception."""

import dataclasses
import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidentdesk.alerts.sources.base import MAX_BODY_BYTES, AlertInput, SourceError
from incidentdesk.core.text import unsafe_character

RAW = [
    b"",
    b"   ",
    b"not json",
    b"\xff\xfe\x00garbage",
    b"{",
    b'{"a":',
    b"[" * 100_000 + b"]" * 100_000,
    b'{"a": NaN}',
    b'{"a": Infinity}',
    b"1" * 5000,
    b'"\\ud800"',
    b" " * (MAX_BODY_BYTES + 1),
    b"null",
    b"true",
    b"0",
    b"1.5",
    b'"text"',
    b"[]",
    b"{}",
    b"[null]",
    b"[[]]",
]

WRONG_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    10**30,
    1.5,
    "",
    "x",
    "k" * 300,
    "z" * 5000,
    "\x00nul",
    "\ud800",
    "2026-13-45T99:99:99Z",
    "0001-01-01T00:00:00Z",
    [],
    [None],
    ["x"],
    {},
    {"a": None},
    {"a": 1},
    {"": "x"},
    {"k" * 300: "v"},
]

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


def mutations(payload: Any) -> Iterator[Any]:
    """The payload with one value anywhere replaced by each wrong value, or removed."""
    for path in paths(payload):
        for value in WRONG_VALUES:
            yield replaced(payload, path, value)
        yield replaced(payload, path, REMOVE)


REMOVE = object()


def paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, (*prefix, index))


def replaced(payload: Any, path: tuple, value: Any) -> Any:
    if not path:
        return None if value is REMOVE else value
    copy = json.loads(json.dumps(payload))
    parent = copy
    for step in path[:-1]:
        parent = parent[step]
    if value is REMOVE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return copy


def encode(value: Any) -> bytes:
    return json.dumps(value).encode("utf-8", "surrogatepass")


def answers_or_refuses(parse: Callable[..., list[AlertInput]], body: bytes) -> None:
    """Parse `body`: alerts are fine, so is SourceError; anything else fails the test."""
    try:
        alerts = parse(body, {})
    except SourceError as error:
        assert error.message
        return
    assert isinstance(alerts, list) and alerts
    assert all(isinstance(alert, AlertInput) for alert in alerts)
    for alert in alerts:
        assert alert.key and len(alert.key) <= 255
        assert alert.group_key and len(alert.group_key) <= 255
        assert alert.status in ("firing", "resolved", "acknowledged")
        for value in strings(dataclasses.asdict(alert)):
            assert unsafe_character(value) is None, value


def strings(value: Any) -> Iterator[str]:
    """Every string in a value, keys included: all of them are stored."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list | tuple):
        for item in value:
            yield from strings(item)
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from strings(name)
            yield from strings(item)


def garbage_tests(parse: Callable[..., list[AlertInput]], payload: Any) -> tuple:
    """The three tests every source takes against garbage, for its module to bind:
    raw bodies that are not a payload, its real `payload` with any field broken, any JSON."""

    @pytest.mark.parametrize("body", RAW)
    def test_a_body_that_is_not_a_payload_is_refused(body):
        with pytest.raises(SourceError):
            parse(body, {})

    def test_the_real_payload_with_any_field_broken_gives_alerts_or_a_source_error_only():
        for broken in mutations(payload):
            answers_or_refuses(parse, encode(broken))

    @settings(max_examples=200, deadline=None)
    @given(JSON)
    def test_any_json_gives_alerts_or_a_source_error_only(value):
        answers_or_refuses(parse, encode(value))

    return (
        test_a_body_that_is_not_a_payload_is_refused,
        test_the_real_payload_with_any_field_broken_gives_alerts_or_a_source_error_only,
        test_any_json_gives_alerts_or_a_source_error_only,
    )

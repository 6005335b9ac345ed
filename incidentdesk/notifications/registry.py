"""What the engine is told by the domains: channel kinds, event renderers and audiences.

The engine knows no domain. Each domain registers, from its own `AppConfig.ready()`:

- a **renderer** per (topic, channel kind): a function of the event's data returning what that
  kind sends (email: `{"subject", "text", "html"?}`; webhook: the JSON body). `when` says when
  it runs: "emit" (inside the change's transaction) or "fan_out" (right after commit, so it
  sees what the transaction did after emitting) — both store the result in the event's payload
  under the kind's name, so every retry sends the same words — or "send" (at each attempt; it
  must then be a pure function of the stored data);
- an **audience**: who hears an event emitted with `to_subscribers` (the audience registered
  for its topic, else the one registered as the default), and, at send time, whether each of
  them still wants it and what their message carries for them (an unsubscribe link, a
  signing secret).

Channel kinds (email, webhook; chat and others later) register here too: each is a class that
sends a batch of deliveries (see `channels.Channel`)."""

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Literal, Protocol

from incidentdesk.core.errors import ValidationError

# Audiences build their answers from these (registry.Recipient, registry.Standing).
from incidentdesk.notifications.recipients import Recipient, Standing

if TYPE_CHECKING:
    from incidentdesk.notifications.channels.base import Channel
    from incidentdesk.notifications.models import OutboxEvent

When = Literal["emit", "fan_out", "send"]
Render = Callable[[dict], dict]


class Audience(Protocol):
    name: str

    def recipients(self, event: "OutboxEvent") -> Iterable[Recipient]:
        """Who hears the event (at fan-out), one entry per (kind, address)."""
        ...

    def standing(self, references: list[str]) -> dict[str, Standing]:
        """How each referenced recipient stands now (references missing from the answer no
        longer exist)."""
        ...


_kinds: dict[str, Callable[[], "Channel"]] = {}
_address_checks: dict[str, Callable[..., str]] = {}
_renderers: dict[tuple[str, str], tuple[Render, When]] = {}
_audiences: dict[str, Audience] = {}
_topic_audience: dict[str, str] = {}
_default: dict[str, str] = {}


def register_channel_kind(
    kind: str,
    factory: Callable[[], "Channel"],
    *,
    check_address: Callable[..., str] | None = None,
) -> None:
    """Make a channel kind available: `factory()` gives a channel for one batch.
    `check_address(value, *, field)` returns the address the kind sends to, cleaned, or raises
    `core.errors.ValidationError` naming `field` (see `clean_address`)."""
    _kinds[kind] = factory
    if check_address is not None:
        _address_checks[kind] = check_address


def clean_address(kind: str, value, *, field: str = "address") -> str:
    """`value` as an address of channel `kind`, checked by the kind's own rule; refused naming
    `field` when the kind is unknown or has no rule (so nothing stores an address no channel
    can use)."""
    check = _address_checks.get(kind)
    if check is None:
        raise ValidationError(f"{kind!r} is not a channel kind that takes addresses", field=field)
    return check(value, field=field)


def register_renderer(topic: str, kind: str, render: Render, *, when: When = "emit") -> None:
    """Say how `kind` words events of `topic`, and when (see the module's docstring)."""
    if (topic, kind) in _renderers and _renderers[(topic, kind)] != (render, when):
        raise ValueError(f"{topic} already has a {kind} renderer")
    _renderers[(topic, kind)] = (render, when)


def register_audience(audience: Audience, *, topics: Iterable[str] = (), default=False) -> None:
    """Make `audience` the one that hears `topics` when they are emitted `to_subscribers`
    (with `default`, every such topic that has no audience of its own)."""
    _audiences[audience.name] = audience
    if default:
        if _default.get("name", audience.name) != audience.name:
            raise ValueError(f"{_default['name']} is already the default audience")
        _default["name"] = audience.name
    for topic in topics:
        if _topic_audience.get(topic, audience.name) != audience.name:
            raise ValueError(f"{topic} already has the audience {_topic_audience[topic]}")
        _topic_audience[topic] = audience.name


def channel_kinds() -> list[str]:
    return list(_kinds)


def channel(kind: str) -> "Channel":
    return _kinds[kind]()


def audience(name: str) -> Audience | None:
    return _audiences.get(name)


def audience_of(topic: str) -> Audience | None:
    name = _topic_audience.get(topic) or _default.get("name")
    return _audiences.get(name) if name else None


def data_of(payload: dict) -> dict:
    """The event's data: its payload without the words channel kinds stored in it."""
    return {key: value for key, value in payload.items() if key not in _kinds}


def word(topic: str, payload: dict, when: When) -> dict:
    """The payload with the words of every kind whose renderer for `topic` runs `when` (and
    that has none stored yet)."""
    words = {}
    for (for_topic, kind), (render, at) in _renderers.items():
        if for_topic == topic and at == when and kind not in payload:
            words[kind] = render(data_of(payload))
    return {**payload, **words} if words else payload


def words_for(topic: str, payload: dict, kind: str) -> dict | None:
    """What `kind` sends for an event: the words stored in its payload, else its renderer run
    now, else None (the channel then uses the data as it is)."""
    stored = payload.get(kind)
    if isinstance(stored, dict):
        return stored
    found = _renderers.get((topic, kind))
    return found[0](data_of(payload)) if found else None

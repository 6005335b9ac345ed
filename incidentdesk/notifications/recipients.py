"""Who a message goes to, as the audiences registered with the engine describe them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Recipient:
    """Someone an audience says should hear an event: the channel kind their messages go by,
    the address that kind sends to, and the audience's own reference to them."""

    kind: str
    address: str
    reference: str = ""


@dataclass(frozen=True)
class Standing:
    """What an audience says about one of its recipients when a message is about to go.
    `skip` (a reason) stops it; the rest is carried in the message."""

    skip: str = ""
    unsubscribe_url: str = ""
    signing_secret: str = ""

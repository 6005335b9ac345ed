"""Slack's rules for channel names, as pure functions.

A channel name holds lowercase letters, digits, `-` and `_`, and at most 80 characters. Slack
refuses anything else (`invalid_name_specials`, `invalid_name_maxlength`) instead of fixing it,
so names are made valid here before they are sent.
"""

import re
import unicodedata

MAX_LENGTH = 80
FALLBACK = "incident"

_OUTSIDE = re.compile(r"[^a-z0-9_-]+")
_DASHES = re.compile(r"-{2,}")


def channel_name(text: str, *, max_length: int = MAX_LENGTH) -> str:
    """A valid channel name made from `text`: accents dropped (é → e), lowercased, every run of
    other characters (spaces, punctuation, scripts Slack does not take) becoming one `-`, cut to
    `max_length` on the last whole word when there is one. Never empty."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    name = _DASHES.sub("-", _OUTSIDE.sub("-", plain)).strip("-_")
    if len(name) > max_length:
        cut = name[:max_length]
        # Cut at the last `-` when it keeps most of the name, so a word is not left half-written.
        last = cut.rfind("-")
        name = cut[:last] if last >= max_length // 2 else cut
        name = name.rstrip("-_")
    return name or FALLBACK


def with_suffix(name: str, number: int, *, max_length: int = MAX_LENGTH) -> str:
    """`name` with `-<number>` on its end, shortened first so the result still fits."""
    suffix = f"-{number}"
    return name[: max_length - len(suffix)].rstrip("-_") + suffix

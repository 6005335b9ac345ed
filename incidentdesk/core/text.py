"""Text every door may store: the one check for characters that break XML and JSON consumers,
and the one way stored text is made safe when it is rendered."""

import re

from incidentdesk.core.errors import ValidationError

# Characters that XML 1.0 and many JSON consumers cannot carry: C0 controls other than tab,
# newline and carriage return, lone surrogates, and the non-characters U+FFFE and U+FFFF.
# One of them in a publication once broke the feeds and with them the whole public refresh.
UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def unsafe_character(value: str) -> str | None:
    """How to name the first character of `value` that text may not contain, and what kind it
    is (`U+000B, a control character`, `NUL (U+0000), a control character`, `U+D800, a lone
    surrogate`, `U+FFFE, a non-character`), or None when there is none."""
    found = UNSAFE_CHARACTERS.search(value)
    if not found:
        return None
    point = ord(found.group())
    code = f"U+{point:04X}"
    if 0xD800 <= point <= 0xDFFF:
        return f"{code}, a lone surrogate"
    if point in (0xFFFE, 0xFFFF):
        return f"{code}, a non-character"
    return f"{'NUL (U+0000)' if point == 0 else code}, a control character"


def unsafe_message(bad: str) -> str:
    """The refusal of text holding `bad` (as unsafe_character names it)."""
    return f"contains the character {bad}, which text cannot carry; remove it"


def refuse_unsafe_characters(value: str, *, field: str) -> str:
    """Refuse text holding a control character, a lone surrogate or a non-character."""
    bad = unsafe_character(value)
    if bad:
        raise ValidationError(unsafe_message(bad), field=field)
    return value


def safe_text(value: str) -> str:
    """Stored text with every unsafe character replaced by U+FFFD, for renderers (feeds, JSON,
    PDF) that must not fail on text stored before the input check existed."""
    return UNSAFE_CHARACTERS.sub("\ufffd", value)

"""The input checks every door shares (web, API, CLI, commands, chat, alert intake): text with
its length and characters, and whole numbers the databases can hold. Services call them, so a
refusal names the field whichever door the value came through."""

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import URLValidator

from incidentdesk.core.errors import ValidationError
from incidentdesk.core.text import refuse_unsafe_characters

# The largest value a PositiveIntegerField holds on every supported database (PostgreSQL integer).
MAX_INTEGER = 2_147_483_647


def check_whole_number(value, *, field: str, minimum: int = 0, maximum: int = MAX_INTEGER) -> int:
    """Refuse anything but a whole number within bounds (booleans are not numbers here)."""
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value <= maximum:
        raise ValidationError(f"must be a whole number from {minimum} to {maximum}", field=field)
    return value


def check_text(value: str | None, *, field: str, max_length: int, required: bool = False) -> str:
    """Trim a text input and check its length and characters."""
    if value is not None and not isinstance(value, str):
        raise ValidationError("must be text", field=field)
    value = refuse_unsafe_characters((value or "").strip(), field=field)
    if required and not value:
        raise ValidationError("is required", field=field)
    if len(value) > max_length:
        raise ValidationError(
            f"is {len(value)} characters long; the limit is {max_length}", field=field
        )
    return value


_http_url = URLValidator(schemes=["http", "https"])


def check_link_url(value: Any, field: str) -> str:
    """A link a person gives (a tracker issue, a change, a call, a workaround's documentation):
    an http(s) URL of at most 500 characters, or "" for none. It is only shown as a link, never
    fetched by the server."""
    value = (value or "").strip() if isinstance(value, str) or value is None else value
    if not isinstance(value, str):
        raise ValidationError("must be a text URL", field=field)
    if not value:
        return ""
    if len(value) > 500:
        raise ValidationError("is longer than 500 characters", field=field)
    refuse_unsafe_characters(value, field=field)  # URLValidator lets some controls through
    try:
        _http_url(value)
    except DjangoValidationError:
        raise ValidationError(f"{value!r} is not an http(s) URL", field=field) from None
    return value

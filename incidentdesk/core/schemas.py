"""The base shapes every domain's API schemas build on: text free of unsafe characters in
any field, JSON bodies that refuse unknown fields and values of the wrong JSON type, and ISO
times and dates."""

from datetime import date, datetime
from typing import Annotated

from ninja import Schema
from pydantic import BeforeValidator, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from incidentdesk.core.text import unsafe_character, unsafe_message


def unsafe_in(value) -> str | None:
    """The first character anywhere in a JSON value that text may not contain (a control
    character, a lone surrogate or a non-character; see rules.UNSAFE_CHARACTERS), or None."""
    if isinstance(value, str):
        return unsafe_character(value)
    if isinstance(value, list | tuple):
        items = value
    elif isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    else:
        return None
    return next((bad for bad in map(unsafe_in, items) if bad), None)


class Clean(Schema):
    """Input refusing control characters in any field, so they are a 422 naming the field and
    never reach the database, the feeds or a JSON consumer. Query parameters use it as it is:
    they arrive as text, and their types convert from it."""

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_unsafe(cls, value):
        bad = unsafe_in(value)
        if bad:
            raise ValueError(unsafe_message(bad))
        return value


class Strict(Clean):
    """A JSON body: unknown fields are refused, and every value must have its field's JSON
    type (pydantic's strict mode): `true`/`false` for a boolean, a whole number for an integer,
    never `0`, `"true"`, `"5"` or `5.0` read as something else. Times and dates are the
    exception JSON forces, ISO 8601 text: declare them `Moment` and `Day`, never `datetime`
    and `date` (which strict mode would take only as Python objects)."""

    model_config = ConfigDict(extra="forbid", strict=True)


def _iso_text(value):
    if isinstance(value, str | date):  # a datetime is a date too
        return value
    raise PydanticCustomError("iso_text", "must be ISO 8601 text, e.g. 2026-05-01T10:00:00Z")


# ISO text parsed as pydantic parses it, but never a number (lax mode reads one as Unix time).
Moment = Annotated[datetime, BeforeValidator(_iso_text), Field(strict=False)]
Day = Annotated[date, BeforeValidator(_iso_text), Field(strict=False)]

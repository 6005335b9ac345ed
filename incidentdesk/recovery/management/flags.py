"""What the recovery commands share: an error about a service's field names the option the
person typed (`rto_minutes` → `--rto`, `steps[2].title` → `--step[2]`), and an update passes
on only the options given."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from incidentdesk.core.errors import IncidentDeskError


def option_of(field: str, flags: Mapping[str, str]) -> str | None:
    """The option `field` was typed as: itself in `flags`, or its head before `[`/`.` with the
    index kept (`steps[2].title` → `--step[2]` when `steps` is `--step`)."""
    if field in flags:
        return flags[field]
    head = field.split("[", 1)[0].split(".", 1)[0]
    if head == field or head not in flags:
        return None
    rest = field[len(head) :]
    index = rest.split("]", 1)[0] + "]" if rest.startswith("[") else ""
    return flags[head] + index


@contextmanager
def named_by(flags: Mapping[str, str]) -> Iterator[None]:
    """Re-raise a service's error naming the option instead of the field."""
    try:
        yield
    except IncidentDeskError as exc:
        option = option_of(exc.field or "", flags)
        if option is None:
            raise
        raise type(exc)(exc.message, field=option) from exc


def given(options: Mapping[str, Any], **fields: str) -> dict[str, Any]:
    """{field: value} for each option given: `given(options, rto="rto_minutes")`."""
    return {field: options[dest] for dest, field in fields.items() if options.get(dest) is not None}

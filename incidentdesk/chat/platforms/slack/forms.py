"""The chat layer's neutral `Form` as a Slack modal view (https://api.slack.com/reference/surfaces/views),
and how its inputs come back.

Every field is an `input` block whose `block_id` and `action_id` are the field's name, so a
`view_submission` gives each value under that name (`inbound._view_submission`), and a refusal
that names a field is shown on its block (`response_action: errors`, keyed by block id).

What each kind becomes, and what its value is when submitted:

- text, long_text → `plain_text_input` (multiline for long_text) → the text;
- select → `static_select`, radio → `radio_buttons` → the chosen option's value;
- multi_select → `multi_static_select`, checkboxes → `checkboxes` → a list of values;
- flag → `checkboxes` with one option → a list, empty when not ticked;
- person → `users_select` → the Slack user id;
- moment → `datetimepicker` → seconds since the epoch.

Slack's limits are kept by cutting: a modal's title and buttons at 24 characters, an option's
text at 75 and its value at 150, at most 100 options (10 for checkboxes and radio buttons) and
100 blocks. A select with no `initial` has no `initial_option`: nothing is chosen for the person.
"""

from datetime import datetime
from typing import Any

from incidentdesk.chat.platforms.base import Choice, Form, FormField

TITLE_MAX = 24
LABEL_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTIONS_MAX = 100
FEW_OPTIONS_MAX = 10  # checkboxes and radio buttons
BLOCKS_MAX = 100
METADATA_MAX = 3000
TEXT_INPUT_MAX = 3000
FLAG_VALUE = "yes"


def view(form: Form) -> dict[str, Any]:
    """The modal `form` is shown as (for `views.open`)."""
    return {
        "type": "modal",
        "callback_id": form.id,
        "private_metadata": form.metadata[:METADATA_MAX],
        "title": _plain(form.title, TITLE_MAX),
        "submit": _plain(form.submit, TITLE_MAX),
        "close": _plain("Cancel", TITLE_MAX),
        "blocks": [_block(field) for field in form.fields[:BLOCKS_MAX]],
    }


def _plain(text: str, limit: int) -> dict[str, Any]:
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return {"type": "plain_text", "text": text, "emoji": True}


def _block(field: FormField) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.name,
        "label": _plain(field.label, LABEL_MAX),
        "optional": not field.required,
        "element": {"action_id": field.name, **_ELEMENTS[field.kind](field)},
    }
    if field.hint and field.kind != "flag":  # a flag's hint is its box's words
        block["hint"] = _plain(field.hint, LABEL_MAX)
    return block


def _option(choice: Choice) -> dict[str, Any]:
    option: dict[str, Any] = {
        "text": _plain(choice.label, OPTION_TEXT_MAX),
        "value": choice.value[:OPTION_VALUE_MAX],
    }
    if choice.hint:
        option["description"] = _plain(choice.hint, OPTION_TEXT_MAX)
    return option


def _text(field: FormField) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": field.kind == "long_text",
        "max_length": min(field.max_length or TEXT_INPUT_MAX, TEXT_INPUT_MAX),
    }
    if field.initial:
        element["initial_value"] = str(field.initial)[: element["max_length"]]
    return element


# Element type, and whether it takes several: a radio or checkboxes show every option.
_CHOOSERS = {
    "select": ("static_select", False),
    "radio": ("radio_buttons", False),
    "multi_select": ("multi_static_select", True),
    "checkboxes": ("checkboxes", True),
}


def _choose(field: FormField) -> dict[str, Any]:
    kind, many = _CHOOSERS[field.kind]
    shown_all = kind in ("radio_buttons", "checkboxes")
    options = [_option(choice) for choice in field.choices]
    options = options[: FEW_OPTIONS_MAX if shown_all else OPTIONS_MAX]
    element: dict[str, Any] = {"type": kind, "options": options}
    if not shown_all:
        element["placeholder"] = _plain("Choose…", 150)
    initial = field.initial if many else [] if field.initial is None else [field.initial]
    wanted = {str(value) for value in initial or ()}
    chosen = [option for option in options if option["value"] in wanted]
    if chosen and many:
        element["initial_options"] = chosen
    elif chosen:
        element["initial_option"] = chosen[0]
    return element


def _flag(field: FormField) -> dict[str, Any]:
    option = _option(Choice(FLAG_VALUE, field.hint or field.label))
    element: dict[str, Any] = {"type": "checkboxes", "options": [option]}
    if field.initial:
        element["initial_options"] = [option]
    return element


def _person(field: FormField) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "users_select", "placeholder": _plain("Choose…", 150)}
    if field.initial:
        element["initial_user"] = str(field.initial)
    return element


def _moment(field: FormField) -> dict[str, Any]:
    element: dict[str, Any] = {"type": "datetimepicker"}
    if isinstance(field.initial, datetime):
        element["initial_date_time"] = int(field.initial.timestamp())
    return element


_ELEMENTS = {
    "text": _text,
    "long_text": _text,
    "select": _choose,
    "radio": _choose,
    "multi_select": _choose,
    "checkboxes": _choose,
    "flag": _flag,
    "person": _person,
    "moment": _moment,
}

"""Declaring from chat with a form: `/incident <title>` on a platform with forms (Slack) opens
the declaration form at once; its submission declares through `incident_declare`.

- The `declare` event is taken by `declare` here. Where the platform has `Capability.FORMS`
  and the event carries the gesture's `trigger_id`, the form is opened, pre-filled with the
  command's text as its title (the trigger is good for three seconds, so this is the first thing
  the worker does for it after checking who asks). Elsewhere (Matrix's `!incident <title>`)
  `handling.declare_at_once` declares there and then.
- The form (`declare_form`): title, live or retrospective (a retrospective needs its start and
  resolution times), summary, impact, lead, severity (no level chosen beforehand: the person
  chooses), the declaration criteria (at least one), affected components, restricted.
- The submission (`declare_submitted`, run in the request that brought it) declares as the
  person who submitted it (the reporter), with `source=chat`, and gives the lead role to the
  person picked, in one transaction. A refusal names the form's field it is about, so the
  platform shows it there; nothing is written. Once declared, the declarer is told privately
  with the reference and the incident's link; the announcement follows from the declaration.
"""

from typing import Any, cast

from django.db import transaction

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.chat import handling
from incidentdesk.chat import registry as platforms
from incidentdesk.chat.outbound import incident_url
from incidentdesk.chat.platforms.base import (
    Capability,
    Choice,
    Form,
    FormField,
    FormsPlatform,
    InboundEvent,
)
from incidentdesk.core.errors import IncidentDeskError, ValidationError, as_sentence
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Criterion, IncidentKind, IncidentRole
from incidentdesk.incidents.selectors import component_choices, severity_choices
from incidentdesk.incidents.services.incidents import TEXT_LIMITS, incident_declare
from incidentdesk.incidents.services.roles import role_assign

FORM = "declare"
LEAD_NOT_LINKED = (
    "the person you picked is not linked to an IncidentDesk account; pick someone who is, "
    "or ask an admin to link them"
)
# The fields a refusal may name that the form shows under another name.
_FIELD_OF = {"person": "lead", "detected_at": "started_at"}


def declare_form(title: str) -> Form:
    """The declaration form, with `title` (the command's text) filled in."""
    return Form(
        id=FORM,
        title="Declare an incident",
        submit="Declare",
        fields=(
            FormField(
                "title",
                "Title",
                required=True,
                initial=title.strip()[: TEXT_LIMITS["title"]],
                max_length=TEXT_LIMITS["title"],
            ),
            FormField(
                "kind",
                "Live or retrospective",
                kind="radio",
                required=True,
                initial=IncidentKind.LIVE,
                choices=(
                    Choice(IncidentKind.LIVE, "Live", "It is happening now"),
                    Choice(
                        IncidentKind.RETROSPECTIVE,
                        "Retrospective",
                        "It already happened: reported afterwards, resolved",
                    ),
                ),
            ),
            FormField(
                "started_at",
                "Started",
                kind="moment",
                hint="When the failure reached production. Needed for a retrospective.",
            ),
            FormField(
                "resolved_at",
                "Resolved",
                kind="moment",
                hint="Only for a retrospective, which needs it.",
            ),
            FormField("summary", "Summary", kind="long_text", hint="What is going on, so far."),
            FormField("impact", "Impact", kind="long_text", hint="What users see."),
            FormField("lead", "Lead", kind="person", hint="Who runs the response."),
            FormField(
                "severity",
                "Severity",
                kind="select",
                required=True,
                choices=tuple(Choice(key, label) for key, label in severity_choices()),
            ),
            FormField(
                "criteria",
                "Why is this an incident?",
                kind="checkboxes",
                required=True,
                choices=tuple(Choice(value, label) for value, label in Criterion.choices),
            ),
            *_components_field(),
            FormField(
                "restricted",
                "Restricted",
                kind="flag",
                hint="Only the people taking part, admins and the security group see it",
            ),
        ),
    )


def _components_field() -> tuple[FormField, ...]:
    choices = tuple(Choice(value, label) for value, label in component_choices())
    if not choices:  # a list to choose from must have something in it
        return ()
    return (FormField("components", "Affected components", kind="multi_select", choices=choices),)


# The command ------------------------------------------------------------------------------


def declare(event: InboundEvent) -> None:
    """A `declare` event: open the form where the platform can, else declare at once."""
    platform = platforms.platform(event.platform)
    trigger = str(event.values.get("trigger_id") or "")
    if not trigger or Capability.FORMS not in platform.capabilities:
        handling.declare_at_once(event)
        return
    # Someone who may not declare is told so now, not after filling the form in.
    require(handling.actor_of(event), Perm.INCIDENT_DECLARE)
    cast(FormsPlatform, platform).open_form(trigger, declare_form(event.text))


# The submission ---------------------------------------------------------------------------


def declare_submitted(event: InboundEvent) -> dict[str, str]:
    """Declare from the submitted form: {} when declared, else the refusal by field."""
    form = declare_form("")
    names = {field.name for field in form.fields}
    try:
        _declare(event, form.read(event.values))
    except IncidentDeskError as exc:
        field = _FIELD_OF.get(exc.field or "", exc.field or "")
        if field in names:
            return {field: as_sentence(exc.message)}
        return {"": exc.sentence}
    return {}


def _declare(event: InboundEvent, values: dict[str, Any]) -> None:
    actor = handling.actor_of(event)
    lead = _lead(event, values["lead"]) if values["lead"] else None
    if not values["severity"]:
        raise ValidationError("choose a severity", field="severity")
    fields: dict[str, Any] = {
        name: values[name]
        for name in ("summary", "impact", "started_at", "resolved_at")
        if values[name]
    }
    if values.get("components"):
        fields["components"] = values["components"]
    if values["restricted"]:
        fields["restricted"] = True
    with transaction.atomic():
        incident = incident_declare(
            actor=actor,
            source=ActionSource.CHAT,
            title=values["title"],
            severity=values["severity"],
            kind=values["kind"] or IncidentKind.LIVE,
            criteria=values["criteria"],
            **fields,
        )
        if lead is not None:
            role_assign(
                actor=actor,
                source=ActionSource.CHAT,
                incident=incident,
                role=IncidentRole.LEAD,
                user=lead,
            )
    led = f", led by {lead.display_name}" if lead is not None else ""
    handling.reply(
        event,
        f"Declared {incident.reference}: {incident.title} "
        f"(severity {incident.severity.name}{led}).\n{incident_url(incident)}",
    )


def _lead(event: InboundEvent, user_id: str) -> User:
    """The account of the chat user picked as lead; someone not linked is refused."""
    try:
        username = handling.people_in(event, f"<@{user_id}>")
    except ValidationError:
        raise ValidationError(LEAD_NOT_LINKED, field="lead") from None
    return User.objects.get(username=username)


def register() -> None:
    handling.on_kind("declare", declare)
    handling.on_form(FORM, declare_submitted)

"""Severity levels and components: the configurable catalog incidents refer to."""

from django.db import IntegrityError, transaction

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.checks import check_text, check_whole_number
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.ids import new_public_id
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.text import refuse_unsafe_characters
from incidentdesk.incidents import hooks
from incidentdesk.incidents.models import Component, Severity
from incidentdesk.incidents.rules import SeverityName, match_severity


def _named(level: Severity) -> SeverityName:
    return SeverityName(level.key, level.name, level.position, tuple(level.alias_list))


def severity_names() -> list[SeverityName]:
    return [_named(level) for level in Severity.objects.all()]


def severity_lookup(text: str) -> Severity:
    """The severity `text` names: key, name, alias or position, in any case."""
    levels = list(Severity.objects.all())
    key = match_severity(str(text), map(_named, levels))
    return next(level for level in levels if level.key == key)


_SEVERITY_FIELDS = {
    "name",
    "position",
    "aliases",
    "description",
    "pages",
    "reminder_interval_minutes",
    "postmortem_required",
    "action_due_days",
    "opens_chat_channel",
}


# Upper bounds that keep every value storable and every derived date computable.
SEVERITY_NUMBER_LIMITS = {
    "position": 1_000,
    "reminder_interval_minutes": 60 * 24 * 30,
    "action_due_days": 3_650,
}


def _refuse_names_of_other_levels(severity: Severity) -> None:
    """A level's name and aliases must not be another level's key, name or alias: `sev <text>`
    would no longer say which level it means."""
    taken: set[str] = set()
    for other in Severity.objects.exclude(key=severity.key):
        taken.update(n.lower() for n in (other.key, other.name, *other.alias_list))
    if severity.name.lower() in taken:
        raise ValidationError(f"another level is already called {severity.name!r}", field="name")
    for alias in severity.alias_list:
        if alias.lower() in taken:
            raise ValidationError(f"another level already answers to {alias!r}", field="aliases")


def severity_save(
    *, actor, source: ActionSource, key: str, changes: dict, create: bool = False
) -> Severity:
    """Create or change a severity level and its policy (admins only)."""
    require(actor, Perm.SEVERITY_MANAGE)
    unknown = set(changes) - _SEVERITY_FIELDS
    if unknown:
        raise ValidationError(f"unknown field {sorted(unknown)[0]!r}", field=sorted(unknown)[0])
    key = check_text(key, field="key", max_length=32, required=True).lower()
    if not key.replace("-", "").replace("_", "").isalnum():
        raise ValidationError("use letters, digits, - and _", field="key")
    if "name" in changes:
        changes["name"] = check_text(changes["name"], field="name", max_length=64, required=True)
    for text, limit in (("aliases", 200), ("description", 300)):
        if text in changes:
            changes[text] = check_text(changes[text], field=text, max_length=limit)
    for number, limit in SEVERITY_NUMBER_LIMITS.items():
        if number in changes:
            check_whole_number(changes[number], field=number, minimum=1, maximum=limit)
    with transaction.atomic():
        if create:
            if Severity.objects.filter(key=key).exists():
                raise ValidationError(f"{key!r} already exists", field="key")
            severity = Severity(key=key, name=changes.get("name", key.title()))
            if "position" not in changes:
                last = Severity.objects.order_by("-position").first()
                severity.position = (last.position + 1) if last else 1
        else:
            found = Severity.objects.filter(key=key).first()
            if found is None:
                raise NotFound(f"no severity {key!r}", field="severity")
            severity = found
        for field, value in changes.items():
            setattr(severity, field, value)
        _refuse_names_of_other_levels(severity)
        try:
            with transaction.atomic():
                severity.save()
        except IntegrityError:
            raise ValidationError(
                "another level already has this position", field="position"
            ) from None
    return severity


def component_lookup(value) -> Component:
    """A component by id or by name (case-insensitive)."""
    if isinstance(value, str):
        refuse_unsafe_characters(value, field="components")
    if isinstance(value, int) or (isinstance(value, str) and value.isascii() and value.isdigit()):
        component = Component.objects.filter(pk=int(value)).first()
    else:
        component = Component.objects.filter(name__iexact=str(value).strip()).first()
    if component is None:
        raise NotFound(f"no component {value!r}", field="components")
    return component


def component_save(
    *,
    actor,
    source: ActionSource,
    name: str,
    description: str = "",
    group: str | None = None,
    position: int | None = None,
    component: Component | None = None,
) -> Component:
    """Create a component, or change `component` when given (managers and admins)."""
    require(actor, Perm.COMPONENT_MANAGE)
    name = check_text(name, field="name", max_length=100, required=True)
    description = check_text(description, field="description", max_length=300)
    if position is not None:
        check_whole_number(position, field="position")
    parent = None
    if group:
        try:
            parent = component_lookup(group)
        except NotFound as exc:
            raise NotFound(exc.message, field="group") from None
        if parent.group_id is not None:
            raise ValidationError(
                "groups are one level deep; pick a top-level component", field="group"
            )
        if component is not None and parent.pk == component.pk:
            raise ValidationError("a component cannot be its own group", field="group")
    if component is not None and parent is not None and component.children.exists():
        raise ValidationError("a group cannot itself be put in a group", field="group")
    clash = Component.objects.filter(name__iexact=name)
    if component is not None:
        clash = clash.exclude(pk=component.pk)
    if clash.exists():
        raise ValidationError(f"{name!r} already exists", field="name")
    with transaction.atomic():
        target = component or Component(public_id=new_public_id())
        target.name, target.description, target.group = name, description, parent
        if position is not None:
            target.position = position
        elif component is None:
            last = Component.objects.order_by("-position").first()
            target.position = (last.position + 1) if last else 1
        try:
            with transaction.atomic():
                target.save()
        except IntegrityError:
            # Someone saved the same name between our check and this insert.
            raise ValidationError(f"{name!r} already exists", field="name") from None
        for hook in hooks.after_catalog_change:  # the status page re-renders after commit
            hook()
    return target

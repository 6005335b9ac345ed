"""The systems catalog: the products the team runs, who owns each (the default decision-maker
of its disasters), the public components it maps to, and its recovery time and point
objectives. Admins write it (Perm.RECOVERY_MANAGE); bad input is refused naming the field and
nothing is stored."""

from typing import Any

from django.db import transaction

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.accounts.services import person_lookup
from incidentdesk.core.checks import check_text, check_whole_number
from incidentdesk.core.errors import InvalidTransition, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component
from incidentdesk.incidents.services import component_lookup
from incidentdesk.recovery.models import AffectedSystem, System

# A year, in minutes: an objective longer than that is no objective.
OBJECTIVE_MAX = 525_600
NAME_MAX = 100
DESCRIPTION_MAX = 300
MAX_COMPONENTS = 100


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()  # "leave as it is" for the recovery domain's updates


def system_lookup(value) -> System:
    """A system, given as one, its id or its name (case-insensitively); refused naming
    `system` when there is none."""
    if isinstance(value, System):
        found = System.objects.filter(pk=value.pk).first()
    elif isinstance(value, int) and not isinstance(value, bool):
        found = System.objects.filter(pk=value).first()
    elif isinstance(value, str) and value.strip():
        text = check_text(value, field="system", max_length=NAME_MAX)
        found = System.objects.filter(name__iexact=text).first()
        if found is None and text.isascii() and text.isdigit():
            found = System.objects.filter(pk=int(text)).first()
    else:
        found = None
    if found is None:
        raise ValidationError(f"no such system: {value!r}", field="system")
    return found


def _components(values) -> list[Component]:
    if isinstance(values, str | bytes) or not isinstance(values, list | tuple | set):
        raise ValidationError("give a list of components", field="components")
    if len(values) > MAX_COMPONENTS:
        raise ValidationError(f"at most {MAX_COMPONENTS} components", field="components")
    found: dict[int, Component] = {}
    for value in values:
        if isinstance(value, Component):
            value = value.pk
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ValidationError(f"no component {value!r}", field="components")
        try:
            component = component_lookup(value)
        except NotFound as exc:  # a name in the request body: bad input, not a missing page
            raise ValidationError(exc.message, field="components") from None
        found[component.pk] = component
    return list(found.values())


def _objective(value, *, field: str) -> int:
    return check_whole_number(value, field=field, minimum=1, maximum=OBJECTIVE_MAX)


def _name(value, *, system: System | None) -> str:
    name = check_text(value, field="name", max_length=NAME_MAX, required=True)
    taken = System.objects.filter(name__iexact=name)
    if system is not None:
        taken = taken.exclude(pk=system.pk)
    if taken.exists():
        raise ValidationError(f"a system named {name!r} exists", field="name")
    return name


def system_create(
    *,
    actor: User,
    source: ActionSource,
    name: str,
    owner,
    rto_minutes: int,
    rpo_minutes: int,
    description: str = "",
    components=(),
) -> System:
    """A new system in the catalog: a unique name (case does not make another one), an active
    owner, objectives of 1 to 525,600 minutes, and the components it maps to."""
    require(actor, Perm.RECOVERY_MANAGE)
    owner = person_lookup(owner, field="owner")
    rto_minutes = _objective(rto_minutes, field="rto_minutes")
    rpo_minutes = _objective(rpo_minutes, field="rpo_minutes")
    description = check_text(description, field="description", max_length=DESCRIPTION_MAX)
    parts = _components(components)
    with transaction.atomic():
        system = System.objects.create(
            name=_name(name, system=None),
            owner=owner,
            rto_minutes=rto_minutes,
            rpo_minutes=rpo_minutes,
            description=description,
        )
        system.components.set(parts)
    return system


def system_update(
    *,
    actor: User,
    source: ActionSource,
    system: System,
    name: str = UNSET,
    owner=UNSET,
    rto_minutes: int = UNSET,
    rpo_minutes: int = UNSET,
    description: str = UNSET,
    components=UNSET,
) -> System:
    """Change what is given. Disasters already declared keep their decision-maker: the owner
    is only the default for the next one."""
    require(actor, Perm.RECOVERY_MANAGE)
    with transaction.atomic():
        system = System.objects.select_for_update().get(pk=system.pk)
        if name is not UNSET:
            system.name = _name(name, system=system)
        if owner is not UNSET:
            system.owner = person_lookup(owner, field="owner")
        if rto_minutes is not UNSET:
            system.rto_minutes = _objective(rto_minutes, field="rto_minutes")
        if rpo_minutes is not UNSET:
            system.rpo_minutes = _objective(rpo_minutes, field="rpo_minutes")
        if description is not UNSET:
            system.description = check_text(
                description, field="description", max_length=DESCRIPTION_MAX
            )
        if components is not UNSET:
            system.components.set(_components(components))
        system.save()
    return system


def system_delete(*, actor: User, source: ActionSource, system: System) -> None:
    """Remove a system (and the runbooks defined for it), refused naming `system` while any
    disaster, over or not, has it: its measured recovery stays with the disaster."""
    require(actor, Perm.RECOVERY_MANAGE)
    with transaction.atomic():
        locked = System.objects.select_for_update().filter(pk=system.pk).first()
        if locked is None:
            raise NotFound("there is no such system", field="system")
        system = locked
        incidents = list(
            AffectedSystem.objects.filter(system=system)
            .order_by("disaster__incident__reference")
            .values_list("disaster__incident__reference", flat=True)
        )
        if incidents:
            raise InvalidTransition(
                f"{system.name} is part of the disaster of {', '.join(incidents)}; "
                "a system a disaster has cannot be deleted",
                field="system",
            )
        system.delete()

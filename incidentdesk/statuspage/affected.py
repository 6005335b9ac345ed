"""Which components an incident and its publication affect, kept in agreement.

The rule: every component a publication gives a status other than operational is one of its
incident's affected components. Publishing or updating a publication adds the components it
names as not operational to the incident when they are missing (recorded on the timeline as
a field change, by the same person through the same door, through `incident_update`). The
incident may name more components than the publication: those are not public until someone
publishes them (the publish form starts from them). Taking a component off the incident does
not unpublish it: what the public read stays as it was, and the incident page's status page
panel names it. A closed incident is not changed.

A publisher who may also manage the catalog can create a missing component while publishing
(`NewComponent`), through the catalog's own `component_save`; anyone else is refused naming
`new_component`, and the form does not offer it."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.core.errors import IncidentDeskError, PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import Component, ComponentStatus, Incident, IncidentStatus
from incidentdesk.incidents.services.catalog import component_save
from incidentdesk.incidents.services.incidents import incident_update
from incidentdesk.statuspage import rules

# The status a component given to a publication starts from when none is chosen: the mildest
# claim of trouble; the publisher makes it worse when it is.
FIRST_STATUS = ComponentStatus.DEGRADED_PERFORMANCE
# Where a catalog refusal lands on the publish form.
_NEW_FIELDS = {"name": "new_component", "group": "new_component_group"}


@dataclass(frozen=True)
class NewComponent:
    """A component to add to the catalog while publishing, and its public status."""

    name: str
    group: str | None
    status: str


def new_component_check(actor, value: Mapping | None) -> NewComponent | None:
    """The new component `value` asks for ({name, group?, status?}), or None. Refused naming
    `new_component` when the actor may not manage components."""
    if not value:
        return None
    if not isinstance(value, Mapping):
        raise ValidationError(
            "give the new component as {name, group, status}", field="new_component"
        )
    if not str(value.get("name") or "").strip():
        return None
    if not has_perm(actor, Perm.COMPONENT_MANAGE):
        raise PermissionDenied(
            "you may not add components to the catalog (managers and admins may); "
            "pick an existing component or ask a manager",
            field="new_component",
        )
    status = rules.check_component_status(
        value.get("status") or FIRST_STATUS, field="new_component_status"
    )
    group = (value.get("group") or "").strip() or None
    return NewComponent(str(value["name"]), group, status)


def new_component_create(*, actor, source: ActionSource, new: NewComponent) -> Component:
    """Create `new` through the catalog's service; its refusals name the publish form's
    fields. Called inside the publication's transaction, so a refused publication adds no
    component."""
    try:
        return component_save(actor=actor, source=source, name=new.name, group=new.group)
    except IncidentDeskError as exc:
        field = _NEW_FIELDS.get(exc.field or "", exc.field)
        raise type(exc)(exc.message, field=field) from None


def incident_takes_components(
    *, actor, source: ActionSource, incident: Incident | None, statuses: Mapping[Component, str]
) -> None:
    """Add to `incident` the components of `statuses` that are not operational and not yet
    among its components (see the rule above)."""
    if incident is None or incident.status == IncidentStatus.CLOSED:
        return
    affected = [c for c, status in statuses.items() if status != ComponentStatus.OPERATIONAL]
    current = set(incident.components.values_list("pk", flat=True))
    missing = [c.pk for c in affected if c.pk not in current]
    if missing:
        incident_update(
            actor=actor,
            source=source,
            incident=incident,
            changes={"components": [*current, *missing]},
        )


def first_statuses(components: Iterable[Component]) -> dict[str, str]:
    """{public id: status} the publish form starts from for the incident's components: the
    status each already shows, or FIRST_STATUS when it shows operational."""
    return {
        c.public_id: c.status if c.status != ComponentStatus.OPERATIONAL else FIRST_STATUS
        for c in components
        if c.public_id
    }

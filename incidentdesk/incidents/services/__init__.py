"""Incident use cases. Every adapter (web, API, CLI, chat, tasks) calls these."""

from incidentdesk.incidents.selectors import current_role_holders as current_holders
from incidentdesk.incidents.services.access import incident_invite, incident_uninvite
from incidentdesk.incidents.services.actions import action_item_create, action_item_update
from incidentdesk.incidents.services.catalog import (
    component_lookup,
    component_save,
    severity_lookup,
    severity_save,
)
from incidentdesk.incidents.services.commands import CommandResult, command_run
from incidentdesk.incidents.services.incidents import incident_declare, incident_update
from incidentdesk.incidents.services.lifecycle import (
    incident_close,
    incident_resolve,
    incident_set_status,
    resume_reminders_send,
)
from incidentdesk.incidents.services.roles import (
    incident_acknowledge,
    role_assign,
    role_release,
    role_warnings,
)
from incidentdesk.incidents.services.timeline import (
    timeline_entry_add,
    timeline_entry_edit,
    timeline_entry_pin,
)

__all__ = [
    "CommandResult",
    "action_item_create",
    "action_item_update",
    "command_run",
    "component_lookup",
    "component_save",
    "current_holders",
    "incident_acknowledge",
    "incident_close",
    "incident_declare",
    "incident_invite",
    "incident_resolve",
    "incident_set_status",
    "incident_uninvite",
    "incident_update",
    "resume_reminders_send",
    "role_assign",
    "role_release",
    "role_warnings",
    "severity_lookup",
    "severity_save",
    "timeline_entry_add",
    "timeline_entry_edit",
    "timeline_entry_pin",
]

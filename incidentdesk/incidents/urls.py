from django.urls import path, register_converter

from incidentdesk.incidents import live
from incidentdesk.incidents.views import access, catalog, declare, detail, lists, next_steps, writes


class ReferenceConverter:
    """Internal incident references (INC-2026-0042, any case); anything else under
    /incidents/ is left to the public status page."""

    regex = r"[Ii][Nn][Cc]-[0-9]{4}-[0-9]{4,}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(ReferenceConverter, "ref")

urlpatterns = [
    path("dashboard", lists.dashboard, name="dashboard"),
    path("incidents", lists.incident_list, name="incident_list"),
    path("incidents/new", declare.incident_declare, name="incident_declare"),
    path("incidents/<ref:reference>", detail.incident_detail, name="incident_detail"),
    path("incidents/<ref:reference>/timeline", detail.incident_timeline, name="incident_timeline"),
    path("incidents/<ref:reference>/live", live.incident_live, name="incident_live"),
    path("live/<str:view>", live.listing_live, name="listing_live"),
    path("incidents/<ref:reference>/command", writes.command, name="incident_command"),
    path("incidents/<ref:reference>/status", writes.status_change, name="incident_status"),
    path(
        "incidents/<ref:reference>/edit/<str:section>", writes.incident_edit, name="incident_edit"
    ),
    path("incidents/<ref:reference>/roles/assign", writes.role_assign, name="role_assign"),
    path("incidents/<ref:reference>/roles/release", writes.role_release, name="role_release"),
    path(
        "incidents/<ref:reference>/next-steps/<slug:name>/dismiss",
        next_steps.dismiss,
        name="incident_next_step_dismiss",
    ),
    path("incidents/<ref:reference>/invite", access.invitation, name="incident_invite"),
    path(
        "incidents/<ref:reference>/uninvite",
        access.invitation,
        {"withdraw": True},
        name="incident_uninvite",
    ),
    path("incidents/<ref:reference>/timeline/add", writes.entry_add, name="timeline_add"),
    path(
        "incidents/<ref:reference>/timeline/<int:entry_id>/edit",
        writes.entry_edit,
        name="timeline_edit",
    ),
    path(
        "incidents/<ref:reference>/timeline/<int:entry_id>/pin",
        writes.entry_pin,
        name="timeline_pin",
    ),
    path("incidents/<ref:reference>/actions/add", writes.action_add, name="action_add"),
    path(
        "incidents/<ref:reference>/actions/<int:action_id>/status",
        writes.action_status,
        name="action_status",
    ),
    path("settings/catalog", catalog.catalog, name="catalog"),
    path("settings/catalog/severities", catalog.severity_save, name="severity_save"),
    path("settings/catalog/components", catalog.component_save, name="component_add"),
    path(
        "settings/catalog/components/<int:component_id>",
        catalog.component_save,
        name="component_edit",
    ),
]

from django.urls import path

from incidentdesk.incidents.views import catalog, declare, detail, lists, writes

urlpatterns = [
    path("", lists.dashboard, name="dashboard"),
    path("incidents", lists.incident_list, name="incident_list"),
    path("incidents/new", declare.incident_declare, name="incident_declare"),
    path("incidents/<str:reference>", detail.incident_detail, name="incident_detail"),
    path("incidents/<str:reference>/timeline", detail.incident_timeline, name="incident_timeline"),
    path("incidents/<str:reference>/command", writes.command, name="incident_command"),
    path("incidents/<str:reference>/status", writes.status_change, name="incident_status"),
    path(
        "incidents/<str:reference>/edit/<str:section>", writes.incident_edit, name="incident_edit"
    ),
    path("incidents/<str:reference>/roles/assign", writes.role_assign, name="role_assign"),
    path("incidents/<str:reference>/roles/release", writes.role_release, name="role_release"),
    path("incidents/<str:reference>/timeline/add", writes.entry_add, name="timeline_add"),
    path(
        "incidents/<str:reference>/timeline/<int:entry_id>/edit",
        writes.entry_edit,
        name="timeline_edit",
    ),
    path(
        "incidents/<str:reference>/timeline/<int:entry_id>/pin",
        writes.entry_pin,
        name="timeline_pin",
    ),
    path("incidents/<str:reference>/actions/add", writes.action_add, name="action_add"),
    path(
        "incidents/<str:reference>/actions/<int:action_id>/status",
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

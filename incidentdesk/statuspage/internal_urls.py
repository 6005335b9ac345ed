"""The team's status page screens, mounted under /statuspage/ (login required)."""

from django.urls import path

from incidentdesk.statuspage.views import team as views

urlpatterns = [
    path("", views.overview, name="statuspage_overview"),
    path(
        "components/<int:component_id>/status",
        views.component_status,
        name="statuspage_component_status",
    ),
    path("maintenance", views.maintenance_create, name="statuspage_maintenance_create"),
    path(
        "maintenance/<str:public_id>/update",
        views.maintenance_update,
        name="statuspage_maintenance_update",
    ),
    path("banner", views.banner, name="statuspage_banner"),
    path("page", views.page_settings, name="statuspage_page_settings"),
    # The incident page's "Status page" panel. (Plain str: the INC reference converter is
    # registered by incidents/urls.py, which is included after this file.)
    path("incidents/<str:reference>/publish", views.publish, name="statuspage_publish"),
    path("incidents/<str:reference>/update", views.post_update, name="statuspage_post_update"),
    path("incidents/<str:reference>/resolve", views.resolve, name="statuspage_resolve"),
]

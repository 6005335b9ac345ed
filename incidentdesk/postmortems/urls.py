from django.urls import path

from incidentdesk.incidents import urls as _incident_urls  # noqa: F401  (registers `ref`)
from incidentdesk.postmortems import views

urlpatterns = [
    path("incidents/<ref:reference>/postmortem", views.postmortem_page, name="postmortem_page"),
    path(
        "incidents/<ref:reference>/postmortem/start",
        views.postmortem_start,
        name="postmortem_start",
    ),
    path(
        "incidents/<ref:reference>/postmortem/edit", views.postmortem_edit, name="postmortem_edit"
    ),
    path(
        "incidents/<ref:reference>/postmortem/review",
        views.postmortem_review,
        name="postmortem_review",
    ),
    path(
        "incidents/<ref:reference>/postmortem/preview",
        views.postmortem_preview,
        name="postmortem_preview",
    ),
    path(
        "incidents/<ref:reference>/postmortem/export",
        views.postmortem_export,
        name="postmortem_export",
    ),
]

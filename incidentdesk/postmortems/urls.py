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

# Follow-ups, wins, the root-cause meeting and feedback (improvement_views).
from incidentdesk.postmortems import improvement_views  # noqa: E402

urlpatterns += [
    path(
        "incidents/<ref:reference>/postmortem/followups",
        improvement_views.followup_add,
        name="postmortem_followup_add",
    ),
    path(
        "incidents/<ref:reference>/postmortem/went-well",
        improvement_views.went_well,
        name="postmortem_went_well",
    ),
    path(
        "incidents/<ref:reference>/postmortem/meeting",
        improvement_views.meeting,
        name="postmortem_meeting",
    ),
    path(
        "incidents/<ref:reference>/postmortem/meeting.ics",
        improvement_views.meeting_download,
        name="postmortem_meeting_ics",
    ),
    path(
        "incidents/<ref:reference>/postmortem/feedback",
        improvement_views.feedback,
        name="postmortem_feedback",
    ),
]

"""The disaster recovery pages: the control room of an incident's disaster and its writes, the
incident page's "Escalate to a disaster", and the systems and runbook templates admin pages.
(Plain str for the reference: the INC converter is registered by incidents/urls.py, which is
included after this file.)"""

from django.urls import path

from incidentdesk.recovery import views, views_admin

ROOM = "incidents/<str:reference>/disaster"

urlpatterns = [
    path(ROOM, views.control_room, name="disaster_room"),
    path(f"{ROOM}/escalate", views.escalate, name="disaster_escalate"),
    path(f"{ROOM}/systems/<int:affected_id>/move/<str:state>", views.move, name="disaster_move"),
    path(f"{ROOM}/systems", views.add_system, name="disaster_add_system"),
    path(
        f"{ROOM}/proposals/<int:proposal_id>/accept",
        views.proposal_accept,
        name="disaster_proposal_accept",
    ),
    path(
        f"{ROOM}/proposals/<int:proposal_id>/decline",
        views.proposal_decline,
        name="disaster_proposal_decline",
    ),
    path(f"{ROOM}/steps/<int:step_id>", views.step_update, name="disaster_step_update"),
    path(f"{ROOM}/steps/<int:step_id>/owner", views.step_assign, name="disaster_step_assign"),
    path(f"{ROOM}/steps/<int:step_id>/run", views.step_run, name="disaster_step_run"),
    path(f"{ROOM}/planned-work", views.planned_work, name="disaster_planned_work"),
    path(f"{ROOM}/resume", views.business_resume, name="disaster_resume"),
    path("recovery/systems", views_admin.system_list, name="recovery_systems"),
    path("recovery/systems/<int:system_id>", views_admin.system_edit, name="recovery_system"),
    path(
        "recovery/systems/<int:system_id>/delete",
        views_admin.system_delete,
        name="recovery_system_delete",
    ),
    path("recovery/runbooks", views_admin.runbook_list, name="recovery_runbooks"),
    path("recovery/runbooks/new", views_admin.runbook_new, name="recovery_runbook_new"),
    path("recovery/runbooks/<int:runbook_id>", views_admin.runbook_edit, name="recovery_runbook"),
    path(
        "recovery/runbooks/<int:runbook_id>/delete",
        views_admin.runbook_delete,
        name="recovery_runbook_delete",
    ),
]

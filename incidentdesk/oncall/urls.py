"""On-call pages mounted at the site root: the one-click acknowledge link of a page, the
schedule pages, "My on-call" and the secret calendar feeds."""

from django.urls import include, path

from incidentdesk.oncall import ack, views

urlpatterns = [
    path("pages/ack/<str:token>", ack.acknowledge_link, name="page_acknowledge_link"),
    path("", include("incidentdesk.oncall.paging_urls")),
    path("oncall/", views.schedule_list, name="oncall_schedules"),
    path("oncall/new", views.schedule_create, name="oncall_schedule_create"),
    path("oncall/me", views.my_oncall, name="oncall_mine"),
    path("oncall/me/calendar/reset", views.my_calendar_reset, name="oncall_mine_calendar_reset"),
    path("oncall/calendar/<str:token>.ics", views.calendar_feed, name="oncall_calendar_feed"),
    path("oncall/<int:schedule_id>/", views.schedule_detail, name="oncall_schedule"),
    path("oncall/<int:schedule_id>/edit", views.schedule_update, name="oncall_schedule_update"),
    path("oncall/<int:schedule_id>/delete", views.schedule_delete, name="oncall_schedule_delete"),
    path(
        "oncall/<int:schedule_id>/calendar/reset",
        views.schedule_calendar_reset,
        name="oncall_schedule_calendar_reset",
    ),
    path("oncall/<int:schedule_id>/layers", views.layer_add, name="oncall_layer_add"),
    path(
        "oncall/<int:schedule_id>/layers/<int:layer_id>",
        views.layer_update,
        name="oncall_layer_update",
    ),
    path(
        "oncall/<int:schedule_id>/layers/<int:layer_id>/move",
        views.layer_move,
        name="oncall_layer_move",
    ),
    path(
        "oncall/<int:schedule_id>/layers/<int:layer_id>/remove",
        views.layer_remove,
        name="oncall_layer_remove",
    ),
    path("oncall/<int:schedule_id>/overrides", views.override_add, name="oncall_override_add"),
    path(
        "oncall/<int:schedule_id>/overrides/<int:override_id>/remove",
        views.override_remove,
        name="oncall_override_remove",
    ),
]

"""The paging pages, included by oncall/urls.py: escalation policies, "Pages", acknowledging
and cancelling a page, the incident page's "Page the on-call lead", and contact methods."""

from django.urls import path

from incidentdesk.oncall import paging_views as views

urlpatterns = [
    path("oncall/policies", views.policy_list, name="oncall_policies"),
    path("oncall/policies/new", views.policy_new, name="oncall_policy_new"),
    path("oncall/policies/<int:policy_id>", views.policy_edit, name="oncall_policy_edit"),
    path(
        "oncall/policies/<int:policy_id>/delete", views.policy_delete, name="oncall_policy_delete"
    ),
    path("oncall/pages", views.page_list, name="oncall_pages"),
    path(
        "oncall/pages/<int:page_id>/acknowledge",
        views.page_acknowledge,
        name="oncall_page_acknowledge",
    ),
    path("oncall/pages/<int:page_id>/cancel", views.page_cancel, name="oncall_page_cancel"),
    path("oncall/me/contact-methods", views.contact_methods, name="oncall_contact_methods"),
    path("oncall/me/contact-methods/add", views.contact_add, name="oncall_contact_add"),
    path(
        "oncall/me/contact-methods/<int:method_id>/remove",
        views.contact_remove,
        name="oncall_contact_remove",
    ),
    path(
        "oncall/me/contact-methods/<int:method_id>/move",
        views.contact_move,
        name="oncall_contact_move",
    ),
    # The incident page's paging panel. (Plain str: the INC reference converter is registered
    # by incidents/urls.py, which is included after this file.)
    path(
        "incidents/<str:reference>/page-lead", views.incident_page_lead, name="incident_page_lead"
    ),
]

"""The managers' subscribers page, mounted under /notifications/ next to the deliveries page
(config/urls.py)."""

from django.urls import path

from incidentdesk.statuspage.views import subscribers as views

urlpatterns = [
    path("subscribers", views.subscriber_list, name="notification_subscribers"),
    path("subscribers/import", views.subscriber_import, name="subscriber_import"),
    path("subscribers/<int:pk>/remove", views.subscriber_remove, name="subscriber_remove"),
]

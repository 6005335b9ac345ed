"""The app's URLs with the notification pages under /notifications/ (as config/urls.py will
include them)."""

from django.urls import include, path

from incidentdesk.config.urls import urlpatterns as app_urlpatterns

urlpatterns = [
    path("notifications/", include("incidentdesk.notifications.urls")),
    *app_urlpatterns,
]

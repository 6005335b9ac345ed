from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path

from incidentdesk.config.api import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("healthz", lambda request: HttpResponse("ok", content_type="text/plain"), name="healthz"),
    path("statuspage/", include("incidentdesk.statuspage.internal_urls")),
    path("notifications/", include("incidentdesk.notifications.urls")),
    path("chat/", include("incidentdesk.chat.urls")),
    path("notifications/", include("incidentdesk.statuspage.subscriber_admin_urls")),
    path("chat/", include("incidentdesk.chat.admin_urls")),
    path("", include("incidentdesk.alerts.urls")),
    path("", include("incidentdesk.oncall.urls")),
    path("", include("incidentdesk.recovery.urls")),
    path("", include("incidentdesk.search.urls")),
    path("", include("incidentdesk.insights.urls")),
    path("", include("incidentdesk.accounts.urls")),
    path("", include("incidentdesk.incidents.urls")),
    path("", include("incidentdesk.postmortems.urls")),
    path("", include("incidentdesk.chat.transcript_urls")),
    path("", include("incidentdesk.statuspage.subscribe_urls")),
    path("", include("incidentdesk.statuspage.urls")),
]

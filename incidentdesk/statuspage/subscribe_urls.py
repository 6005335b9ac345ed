"""The public, dynamic subscription pages (mounted at the site root), and the documentation
webhook subscribers are pointed to."""

from django.urls import path

from incidentdesk.statuspage.views import docs
from incidentdesk.statuspage.views import subscribe as views

urlpatterns = [
    path("docs/webhooks", docs.webhook_documentation, name="webhook_documentation"),
    path("subscribe", views.subscribe, name="status_subscribe"),
    path("subscribe/confirm/<str:token>", views.confirm, name="status_subscribe_confirm"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="status_unsubscribe"),
]

"""The public, dynamic subscription pages (mounted at the site root)."""

from django.urls import path

from incidentdesk.statuspage import views_subscribe as views

urlpatterns = [
    path("subscribe", views.subscribe, name="status_subscribe"),
    path("subscribe/confirm/<str:token>", views.confirm, name="status_subscribe_confirm"),
    path("unsubscribe/<str:token>", views.unsubscribe, name="status_unsubscribe"),
]

from django.urls import path

from incidentdesk.accounts import views

urlpatterns = [
    path("setup", views.setup, name="setup"),
]

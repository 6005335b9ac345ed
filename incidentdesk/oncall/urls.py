"""On-call pages mounted at the site root: the one-click acknowledge link of a page."""

from django.urls import path

from incidentdesk.oncall import ack

urlpatterns = [
    path("pages/ack/<str:token>", ack.acknowledge_link, name="page_acknowledge_link"),
]

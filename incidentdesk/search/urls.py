"""The search pages: /search and the similar incidents."""

from django.urls import path

from incidentdesk.search import views

urlpatterns: list = [
    path("search", views.search_page, name="search"),
]

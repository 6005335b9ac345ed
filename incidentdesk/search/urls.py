"""The search pages: /search and the similar incidents."""

from django.urls import path

from incidentdesk.incidents import urls as _incident_urls  # noqa: F401  (registers `ref`)
from incidentdesk.search import similar_views, views

urlpatterns: list = [
    path("search", views.search_page, name="search"),
    path("incidents/similar", similar_views.similar_preview, name="incident_similar_preview"),
    path(
        "incidents/<ref:reference>/similar",
        similar_views.incident_similar,
        name="incident_similar",
    ),
]

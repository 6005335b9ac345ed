from django.urls import path

from incidentdesk.insights import views
from incidentdesk.insights.metrics import metrics

urlpatterns = [
    path("insights/", views.insights, name="insights"),
    path("metrics", metrics, name="metrics"),
]

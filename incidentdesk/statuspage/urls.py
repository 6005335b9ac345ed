from django.shortcuts import redirect
from django.urls import path

# The public pages arrive here; until then the root leads to the dashboard.
urlpatterns = [
    path("", lambda request: redirect("dashboard"), name="status_home"),
]

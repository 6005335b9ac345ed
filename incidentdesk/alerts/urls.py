from django.urls import path

from incidentdesk.alerts import views
from incidentdesk.alerts.services import PAGERDUTY_PATH

# Included at the root: PagerDuty-speaking tools post to /v2/enqueue, as they would to PagerDuty.
urlpatterns = [
    path("alerts/in/<str:key>", views.intake, name="alerts_intake"),
    path(PAGERDUTY_PATH.lstrip("/"), views.enqueue, name="alerts_pagerduty_enqueue"),
]

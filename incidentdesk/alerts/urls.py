from django.urls import path

from incidentdesk.alerts import pages, triage_views, views
from incidentdesk.alerts.services import PAGERDUTY_PATH

# Included at the root: PagerDuty-speaking tools post to /v2/enqueue, as they would to PagerDuty.
urlpatterns = [
    path("alerts/in/<str:key>", views.intake, name="alerts_intake"),
    path(PAGERDUTY_PATH.lstrip("/"), views.enqueue, name="alerts_pagerduty_enqueue"),
    # The pages (pages.py).
    path("alerts/", pages.group_list, name="alert_groups"),
    path("alerts/groups/<int:group_id>", pages.group_detail, name="alert_group"),
    path(
        "alerts/groups/<int:group_id>/acknowledge", pages.group_acknowledge, name="alert_group_ack"
    ),
    path("alerts/groups/<int:group_id>/resolve", pages.group_resolve, name="alert_group_resolve"),
    path("alerts/integrations", pages.integration_list, name="alert_integrations"),
    path("alerts/integrations/new", pages.integration_create, name="alert_integration_create"),
    path(
        "alerts/integrations/<int:integration_id>/revoke",
        pages.integration_revoke,
        name="alert_integration_revoke",
    ),
    path("alerts/routes", pages.route_list, name="alert_routes"),
    path("alerts/routes/new", pages.route_new, name="alert_route_new"),
    path("alerts/routes/<int:route_id>", pages.route_edit, name="alert_route_edit"),
    path("alerts/routes/<int:route_id>/delete", pages.route_delete, name="alert_route_delete"),
    path("alerts/routes/<int:route_id>/move", pages.route_move, name="alert_route_move"),
    # Reports by email (triage_views.py).
    path("alerts/reports", triage_views.report_list, name="alert_reports"),
    path("alerts/reports/<int:report_id>", triage_views.report_detail, name="alert_report"),
    path(
        "alerts/reports/<int:report_id>/declare",
        triage_views.report_declare,
        name="alert_report_declare",
    ),
    path(
        "alerts/reports/<int:report_id>/attach",
        triage_views.report_attach,
        name="alert_report_attach",
    ),
    path(
        "alerts/reports/<int:report_id>/dismiss",
        triage_views.report_dismiss,
        name="alert_report_dismiss",
    ),
]

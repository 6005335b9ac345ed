from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "incidentdesk.alerts"
    label = "alerts"
    verbose_name = "Alerts"

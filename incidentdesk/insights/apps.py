from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "incidentdesk.insights"
    label = "insights"

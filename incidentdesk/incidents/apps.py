from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidentdesk.incidents"
    label = "incidents"

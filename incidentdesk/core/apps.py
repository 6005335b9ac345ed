from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "incidentdesk.core"
    label = "core"

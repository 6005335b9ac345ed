from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "incidentdesk.oncall"
    label = "oncall"
    verbose_name = "On-call"

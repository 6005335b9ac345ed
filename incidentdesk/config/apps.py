from django.apps import AppConfig


class ConfigConfig(AppConfig):
    """The composition root as an app: the commands that put every domain together (`serve`,
    `demo`). It may import any domain; no domain imports it."""

    name = "incidentdesk.config"
    label = "config"

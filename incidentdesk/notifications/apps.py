from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "incidentdesk.notifications"
    label = "notifications"

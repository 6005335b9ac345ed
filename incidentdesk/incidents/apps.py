from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidentdesk.incidents"
    label = "incidents"

    def ready(self) -> None:
        # How the desk announcements are worded (the notification engine asks at fan-out).
        from incidentdesk.incidents import notices

        notices.register()

from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "incidentdesk.statuspage"
    label = "statuspage"

    def ready(self) -> None:
        # Who hears the status page's events, and how each channel kind words them.
        from incidentdesk.statuspage import notices

        notices.register()

        # The "Status page" panel of the incident page.
        from incidentdesk.statuspage import incident_panel  # noqa: F401

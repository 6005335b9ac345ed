from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidentdesk.postmortems"
    label = "postmortems"

    def ready(self) -> None:
        # How follow-up reminders are worded.
        from incidentdesk.postmortems import notices

        notices.register()

        # Closing an incident needs its postmortem published, or a waiver.
        from incidentdesk.postmortems import incident_hooks  # noqa: F401

        # The "Postmortem" panel of the incident page.
        from incidentdesk.postmortems import incident_panel  # noqa: F401

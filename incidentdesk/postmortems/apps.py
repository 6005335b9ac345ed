from django.apps import AppConfig


class PostmortemsConfig(AppConfig):
    name = "incidentdesk.postmortems"
    label = "postmortems"

    def ready(self) -> None:
        # How follow-up reminders, meeting invites and the review digest are worded.
        from incidentdesk.postmortems import notices

        notices.register()

        # Closing an incident needs its postmortem published, or a waiver; the "Postmortem"
        # panel and its next steps (start it, schedule the meeting) join the incident page.
        from incidentdesk.postmortems import incident_hooks, incident_panel, next_steps  # noqa: F401

from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidentdesk.incidents"
    label = "incidents"

    def ready(self) -> None:
        # How the desk announcements are worded (the notification engine asks at fan-out).
        # The dashboard's set-up checklist registers its own items (mail, desk, components).
        from incidentdesk.incidents import notices, setup_checks  # noqa: F401

        notices.register()
        # Every write, from any door, moves its incident's version: open pages refresh.
        from incidentdesk.incidents import live

        live.register()

        # The incident page's own panels (facts, command box, timeline, times, roles, actions)
        # and its next steps (the panel, and taking the lead).
        from incidentdesk.incidents import next_steps, page  # noqa: F401

        # The incidents' own commands of the command language register as it is imported.
        from incidentdesk.incidents.services import commands  # noqa: F401

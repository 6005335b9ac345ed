from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "incidentdesk.statuspage"
    label = "statuspage"

    def ready(self) -> None:
        # Who hears the status page's events, and how each channel kind words them.
        from incidentdesk.statuspage import notices

        notices.register()

        # Resolving an incident resolves its open publication and a component change re-renders
        # the public documents; `statuspage <message>` joins the command language; the "Status
        # page" panel and its next steps (publish, post an update) join the incident page.
        from incidentdesk.statuspage import (  # noqa: F401
            commands,
            incident_hooks,
            incident_panel,
            next_steps,
        )

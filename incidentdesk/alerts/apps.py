from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "incidentdesk.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        """Route the groups each intake opens (record, declare, attach)."""
        from incidentdesk.alerts import hooks, routes

        hooks.after_groups_opened.register(routes.route_groups)

from django.apps import AppConfig


class AlertsConfig(AppConfig):
    name = "incidentdesk.alerts"
    label = "alerts"
    verbose_name = "Alerts"

    def ready(self) -> None:
        """Route the groups each intake opens (record, declare, attach, page) in the worker;
        stop the pages of the groups it resolves."""
        from incidentdesk.alerts import hooks, paging, tasks

        hooks.after_groups_opened.register(tasks.queue_routing)
        hooks.after_groups_resolved.register(paging.groups_resolved)

        # Reports by email: the acknowledgement's words, and the IMAP poll's periodic task.
        from incidentdesk.alerts import imap, reports  # noqa: F401
        from incidentdesk.notifications import registry

        registry.register_renderer(reports.ACKNOWLEDGED, "email", reports.acknowledgement_email)

from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "incidentdesk.oncall"
    label = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        """Register how pages reach people (the `oncall.pagee` audience and the page renderers
        of every channel kind), the chat direct message's Acknowledge button, the hook that
        stops a resolved incident's pages, and the escalation tasks (imported so the queue
        knows them)."""
        from incidentdesk.incidents import hooks
        from incidentdesk.oncall import ack, commands, next_steps, notices, paging, tasks  # noqa: F401

        notices.register()
        ack.register()
        hooks.after_resolve.register(paging.pages_stop_on_resolve)
        # The doors and triggers of paging: the severity trigger, the `page` and `ack`
        # commands, the incident page's paging panel, the chat "Page on-call" button.
        from incidentdesk.oncall import triggers

        triggers.register()
        from incidentdesk.oncall import setup_checks  # noqa: F401  (the checklist's paging item)

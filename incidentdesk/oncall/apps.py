from django.apps import AppConfig


class OncallConfig(AppConfig):
    name = "incidentdesk.oncall"
    label = "oncall"
    verbose_name = "On-call"

    def ready(self) -> None:
        """Register how pages reach people (the `oncall.pagee` audience and the page renderers
        of every channel kind), the chat direct message's Acknowledge button, and the
        escalation tasks (imported so the queue knows them)."""
        from incidentdesk.oncall import ack, notices, tasks  # noqa: F401

        notices.register()
        ack.register()

from django.apps import AppConfig


class RecoveryConfig(AppConfig):
    name = "incidentdesk.recovery"
    label = "recovery"
    verbose_name = "Disaster recovery"

    def ready(self) -> None:
        """Register the `disaster` command, the incident page's disaster panel and the
        recovery tasks (each module registers itself once it exists)."""
        from incidentdesk.recovery import registrations

        registrations.register()

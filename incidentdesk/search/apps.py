from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "incidentdesk.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        """Register the search and similar-incident panels, hooks and commands (each module
        registers itself once it exists)."""
        from incidentdesk.search import registrations

        registrations.register()

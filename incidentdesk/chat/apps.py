from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "incidentdesk.chat"
    label = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        """Register each chat platform whose settings configure it, one block per platform:

            if settings.SLACK_BOT_TOKEN:
                from incidentdesk.chat.platforms.slack import SlackPlatform

                registry.register_platform("slack", SlackPlatform.from_settings)

        (with `from django.conf import settings` and `from incidentdesk.chat import registry`
        at the top of this method). A platform not configured is never imported."""

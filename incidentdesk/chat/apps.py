from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "incidentdesk.chat"
    label = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        """Register the `chat` channel kind with the notification engine, and each chat
        platform whose settings configure it (a platform not configured is never imported)."""
        from django.conf import settings

        from incidentdesk.chat import registry
        from incidentdesk.chat.channel import KIND, ChatChannel
        from incidentdesk.notifications import registry as notifications

        notifications.register_channel_kind(KIND, ChatChannel)

        if settings.SLACK_BOT_TOKEN:
            from incidentdesk.chat.platforms.slack import SlackPlatform

            registry.register_platform("slack", SlackPlatform.from_settings)

        if settings.MATRIX_BOT_TOKEN:
            from incidentdesk.chat.platforms.matrix.platform import MatrixPlatform

            registry.register_platform("matrix", MatrixPlatform.from_settings)

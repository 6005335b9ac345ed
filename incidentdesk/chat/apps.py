from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "incidentdesk.chat"
    label = "chat"
    verbose_name = "Chat"

    def ready(self) -> None:
        """Register the `chat` channel kind, its audience and renderers with the notification
        engine, the inbound handlers, the incident hooks, and each chat platform whose settings
        configure it (a platform not configured is never imported)."""
        from django.conf import settings

        from incidentdesk.chat import checkins, handling, incident_hooks, outbound, registry
        from incidentdesk.chat.channel import KIND, ChatChannel
        from incidentdesk.incidents import hooks
        from incidentdesk.notifications import registry as notifications

        notifications.register_channel_kind(KIND, ChatChannel)
        outbound.register()
        handling.register()
        from incidentdesk.chat import declaring

        declaring.register()  # /incident's form and its submission (else declared at once)
        checkins.register_command()
        hooks.after_entry.register(incident_hooks.on_entry)
        # The incident's channel (after incident_hooks: a close is told before it is archived).
        from incidentdesk.chat import conversation_tasks

        conversation_tasks.register()
        # Transcripts and pins: the inbound handlers, the incident page's panel, the daily purge.
        from incidentdesk.chat import transcript_page, transcript_tasks, transcripts  # noqa: F401

        transcripts.register()
        from incidentdesk.chat import next_steps  # noqa: F401  (open a chat channel)

        transcript_page.register()
        from incidentdesk.chat import setup_checks  # noqa: F401  (the checklist's chat item)

        if settings.SLACK_BOT_TOKEN:
            from incidentdesk.chat.platforms.slack import SlackPlatform

            registry.register_platform("slack", SlackPlatform.from_settings)

        if settings.MATRIX_BOT_TOKEN:
            from incidentdesk.chat.platforms.matrix.platform import MatrixPlatform

            registry.register_platform("matrix", MatrixPlatform.from_settings)

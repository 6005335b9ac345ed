from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "incidentdesk.notifications"
    label = "notifications"

    def ready(self) -> None:
        # The channel kinds the engine brings; other apps register theirs from their ready().
        from incidentdesk.notifications import registry
        from incidentdesk.notifications.addresses import clean_email, clean_webhook_url
        from incidentdesk.notifications.channels.email import EmailChannel
        from incidentdesk.notifications.channels.webhook import WebhookChannel

        registry.register_channel_kind("email", EmailChannel, check_address=clean_email)
        registry.register_channel_kind("webhook", WebhookChannel, check_address=clean_webhook_url)

        from incidentdesk.notifications.channels.ntfy import NtfyChannel, clean_topic_url

        registry.register_channel_kind("ntfy", NtfyChannel, check_address=clean_topic_url)

        from incidentdesk.notifications.channels.sms import SmsChannel, clean_phone_number
        from incidentdesk.notifications.channels.voice import VoiceChannel

        registry.register_channel_kind("sms", SmsChannel, check_address=clean_phone_number)
        registry.register_channel_kind("voice", VoiceChannel, check_address=clean_phone_number)

        from incidentdesk.notifications.channels.apprise import AppriseChannel, clean_apprise_url

        registry.register_channel_kind("apprise", AppriseChannel, check_address=clean_apprise_url)

        # The deliveries page is the first tab of the notification pages; domains add theirs.
        from incidentdesk.notifications.tabs import register_tab

        register_tab("deliveries", "Deliveries", "notification_deliveries", order=10)

"""What the status page tells people through the notification engine, registered from
StatuspageConfig.ready(): who hears its subscriber events (the subscribers of the components
they name), how each channel kind words each topic, and the subscribers page's tab next to
the deliveries."""

from incidentdesk.notifications import registry
from incidentdesk.notifications.tabs import register_tab
from incidentdesk.statuspage import messages, reminders, subscribers

INCIDENT_UPDATED = "incident.updated"
COMPONENT_UPDATED = "component.updated"
SUBSCRIBER_TOPICS = (INCIDENT_UPDATED, COMPONENT_UPDATED, reminders.MAINTENANCE_REMINDER)


def register() -> None:
    registry.register_audience(subscribers.Subscribers(), topics=SUBSCRIBER_TOPICS, default=True)
    for topic in SUBSCRIBER_TOPICS:
        registry.register_renderer(topic, "webhook", messages.webhook_body, when="send")
    registry.register_renderer(INCIDENT_UPDATED, "email", messages.incident_email)
    registry.register_renderer(COMPONENT_UPDATED, "email", messages.component_email)
    registry.register_renderer(
        reminders.MAINTENANCE_REMINDER, "email", reminders.maintenance_reminder_email
    )
    registry.register_renderer(
        reminders.PUBLICATION_REMINDER, "email", reminders.publication_reminder_email
    )
    registry.register_renderer(subscribers.CONFIRM_TOPIC, "email", subscribers.confirmation_email)
    register_tab("subscribers", "Subscribers", "notification_subscribers", order=20)

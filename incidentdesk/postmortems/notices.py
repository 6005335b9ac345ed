"""What postmortems tell people through the notification engine, registered from
PostmortemsConfig.ready(): how a follow-up's reminder is worded."""

from incidentdesk.notifications import registry
from incidentdesk.postmortems import followups


def register() -> None:
    registry.register_renderer(followups.REMINDER_TOPIC, "email", followups.reminder_email)

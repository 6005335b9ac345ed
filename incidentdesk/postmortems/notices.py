"""What postmortems tell people through the notification engine, registered from
PostmortemsConfig.ready(): how a follow-up's reminder, a root-cause meeting's invite and the
weekly review digest are worded. Each is worded when it is emitted, so every retry sends the
same words."""

from incidentdesk.notifications import registry
from incidentdesk.postmortems import followups, meetings, review


def register() -> None:
    registry.register_renderer(
        followups.REMINDER_TOPIC, "email", followups.reminder_email, when="emit"
    )
    registry.register_renderer(meetings.MEETING_TOPIC, "email", meetings.invite_email, when="emit")
    registry.register_renderer(review.DIGEST_TOPIC, "email", review.digest_email, when="emit")

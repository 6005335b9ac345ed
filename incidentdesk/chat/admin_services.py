"""What an admin sets for chat (the chat admin page): how long transcripts are kept."""

from django.db import transaction
from django.utils import timezone

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.chat.models import ChatSettings
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource

# A century: a longer period is a typing mistake (and "forever" is an empty field).
RETENTION_MAX_DAYS = 36_500


def chat_settings_update(
    *, actor, source: ActionSource, transcript_retention_days: int | None
) -> ChatSettings:
    """Set how many days a closed incident's transcript is kept before the daily purge
    removes it (pinned entries stay on the timeline); None keeps transcripts forever. Admins
    only. Writes the one settings row (made on first use)."""
    require(actor, Perm.CHAT_ADMIN)
    days = transcript_retention_days
    if days is not None:
        if isinstance(days, bool) or not isinstance(days, int):
            raise ValidationError(
                "must be a whole number of days, or empty to keep transcripts forever",
                field="transcript_retention_days",
            )
        if not 1 <= days <= RETENTION_MAX_DAYS:
            raise ValidationError(
                f"must be between 1 and {RETENTION_MAX_DAYS} days, or empty to keep "
                "transcripts forever",
                field="transcript_retention_days",
            )
    with transaction.atomic():
        row = ChatSettings.objects.select_for_update().order_by("pk").first() or ChatSettings()
        row.transcript_retention_days = days
        row.updated_at = timezone.now()
        row.updated_by = actor
        row.save()
    return row

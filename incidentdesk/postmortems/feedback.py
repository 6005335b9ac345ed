"""Feedback on the process: each participant rates the response and the postmortem (1-5)
and says what to improve; one answer per person per postmortem, which they may change."""

from typing import Any

from incidentdesk.accounts.permissions import Perm, require
from incidentdesk.core.errors import ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.rules import check_text
from incidentdesk.postmortems.models import Feedback, Postmortem


def _rating(value: Any, field: str) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        raise ValidationError("must be a whole number from 1 to 5", field=field) from None
    if not 1 <= rating <= 5:
        raise ValidationError("must be from 1 to 5", field=field)
    return rating


def feedback_give(
    *,
    actor,
    source: ActionSource,
    postmortem: Postmortem,
    response_rating: Any,
    postmortem_rating: Any,
    improve: str = "",
) -> Feedback:
    """Record (or change) the actor's feedback on the postmortem's incident response."""
    require(actor, Perm.POSTMORTEM_EDIT)
    values = {
        "response_rating": _rating(response_rating, "response_rating"),
        "postmortem_rating": _rating(postmortem_rating, "postmortem_rating"),
        "improve": check_text(improve, field="improve", max_length=5000),
    }
    feedback, _ = Feedback.objects.update_or_create(
        postmortem=postmortem, user=actor, defaults=values
    )
    return feedback


def feedback_of(postmortem: Postmortem, user) -> Feedback | None:
    """The user's feedback on the postmortem, if given."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Feedback.objects.filter(postmortem=postmortem, user=user).first()

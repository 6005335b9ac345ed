"""Feedback on the process: each participant rates the response and the postmortem (1-5)
and says what to improve; one answer per person per postmortem, which they may change."""

from typing import Any

from django.db import transaction

from incidentdesk.accounts.permissions import Perm, has_perm, require
from incidentdesk.core.checks import check_text
from incidentdesk.core.errors import PermissionDenied, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.models import EntryKind
from incidentdesk.incidents.services.timeline import record_entry
from incidentdesk.postmortems.models import Feedback, Postmortem, RootCauseMeeting


def _rating(value: Any, field: str) -> int:
    try:
        rating = int(value)
    except (TypeError, ValueError):
        raise ValidationError("must be a whole number from 1 to 5", field=field) from None
    if not 1 <= rating <= 5:
        raise ValidationError("must be from 1 to 5", field=field)
    return rating


def took_part(user, postmortem: Postmortem) -> bool:
    """Held a role, sat at the desk or wrote on the timeline of the postmortem's incident, or
    started, reviews or was asked to the root-cause meeting of its postmortem."""
    incident = postmortem.incident
    return (
        postmortem.created_by_id == user.pk
        or postmortem.reviewers.filter(pk=user.pk).exists()
        or incident.role_history.filter(user=user).exists()
        or incident.desk_seats.filter(user=user).exists()
        or incident.timeline.filter(author=user).exists()
        or RootCauseMeeting.objects.filter(postmortem=postmortem, attendees=user).exists()
    )


def may_give_feedback(user, postmortem: Postmortem) -> bool:
    """Whoever took part, whatever their role (viewers too); nobody else."""
    return has_perm(user, Perm.POSTMORTEM_FEEDBACK) and took_part(user, postmortem)


def feedback_give(
    *,
    actor,
    source: ActionSource,
    postmortem: Postmortem,
    response_rating: Any,
    postmortem_rating: Any,
    improve: str = "",
) -> Feedback:
    """Record (or change) the actor's feedback on the postmortem's incident response. It is
    asked of the people who took part (see `took_part`), viewers included."""
    require(actor, Perm.POSTMORTEM_FEEDBACK)
    if not took_part(actor, postmortem):
        raise PermissionDenied(
            "feedback is asked of the people who took part in this incident's response"
        )
    values = {
        "response_rating": _rating(response_rating, "response_rating"),
        "postmortem_rating": _rating(postmortem_rating, "postmortem_rating"),
        "improve": check_text(improve, field="improve", max_length=5000),
    }
    with transaction.atomic():
        feedback, created = Feedback.objects.update_or_create(
            postmortem=postmortem, user=actor, defaults=values
        )
        # The ratings stay out of the timeline: the review shows them, averaged.
        record_entry(
            incident=postmortem.incident,
            kind=EntryKind.EVENT,
            body="Feedback on the process given" if created else "Feedback on the process changed",
            actor=actor,
            source=source,
            data={"postmortem": {"feedback": feedback.pk}},
        )
    return feedback


def feedback_of(postmortem: Postmortem, user) -> Feedback | None:
    """The user's feedback on the postmortem, if given."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Feedback.objects.filter(postmortem=postmortem, user=user).first()

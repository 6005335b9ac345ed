"""Postmortem endpoints of the JSON API (/api/v1): parse, call the service, render."""

from datetime import date
from typing import Any

from ninja import Router, Status

from incidentdesk.core.csv_export import csv_response, wants_csv
from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.api import _incident
from incidentdesk.postmortems import present, selectors, services
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.followups import followup_create, followups_of
from incidentdesk.postmortems.meetings import meeting_json, meeting_schedule
from incidentdesk.postmortems.present import postmortem_json
from incidentdesk.postmortems.review import review_csv, review_report, went_well_add
from incidentdesk.postmortems.schemas import (
    EditIn,
    FeedbackIn,
    FollowUpIn,
    MeetingIn,
    ReviewIn,
    StartIn,
    TemplateOut,
    TermIn,
    TermOut,
    WentWellIn,
)

router = Router(tags=["postmortems"])
API = ActionSource.API


def _postmortem(request, reference: str):
    return services.postmortem_by_reference(_incident(request, reference))


@router.get("/incidents/{reference}/postmortem", response=dict[str, Any])
def get_postmortem(request, reference: str):
    return postmortem_json(_postmortem(request, reference))


@router.post("/incidents/{reference}/postmortem", response={201: dict[str, Any]})
def start_postmortem(request, reference: str, payload: StartIn):
    postmortem = services.postmortem_start(
        actor=request.auth,
        source=API,
        incident=_incident(request, reference),
        template=payload.template,
    )
    return Status(201, postmortem_json(services.postmortem_by_reference(postmortem.incident)))


@router.patch("/incidents/{reference}/postmortem", response=dict[str, Any])
def edit_postmortem(request, reference: str, payload: EditIn):
    changes = payload.dict(exclude_none=True)
    result = services.postmortem_edit(
        actor=request.auth, source=API, postmortem=_postmortem(request, reference), **changes
    )
    return postmortem_json(result.postmortem, result.warnings)


@router.post("/incidents/{reference}/postmortem/review", response=dict[str, Any])
def review_postmortem(request, reference: str, payload: ReviewIn):
    postmortem = services.postmortem_review(
        actor=request.auth, source=API, postmortem=_postmortem(request, reference), **payload.dict()
    )
    return postmortem_json(postmortem)


@router.get("/taxonomy", response=list[TermOut])
def list_taxonomy(request):
    return selectors.taxonomy_terms()


@router.post("/taxonomy", response={201: TermOut})
def create_term(request, payload: TermIn):
    return Status(
        201, services.taxonomy_term_create(actor=request.auth, source=API, **payload.dict())
    )


@router.get("/postmortem-templates", response=list[TemplateOut])
def list_templates(request):
    return selectors.templates()


# Follow-ups, wins, the root-cause meeting, feedback and the review ----------------------


@router.get("/incidents/{reference}/postmortem/followups", response=list[dict[str, Any]])
def list_followups(request, reference: str):
    return [present.followup_json(item) for item in followups_of(_postmortem(request, reference))]


@router.post("/incidents/{reference}/postmortem/followups", response={201: dict[str, Any]})
def add_followup(request, reference: str, payload: FollowUpIn):
    item = followup_create(
        actor=request.auth, source=API, postmortem=_postmortem(request, reference), **payload.dict()
    )
    return Status(201, present.followup_json(item))


@router.post("/incidents/{reference}/postmortem/went-well", response={201: dict[str, Any]})
def add_went_well(request, reference: str, payload: WentWellIn):
    entry = went_well_add(
        actor=request.auth, source=API, postmortem=_postmortem(request, reference), **payload.dict()
    )
    return Status(201, {"id": entry.pk, "text": entry.text, "action_item": entry.action_item_id})


@router.put("/incidents/{reference}/postmortem/meeting", response=dict[str, Any])
def schedule_meeting(request, reference: str, payload: MeetingIn):
    meeting = meeting_schedule(
        actor=request.auth, source=API, postmortem=_postmortem(request, reference), **payload.dict()
    )
    return meeting_json(meeting)


@router.put("/incidents/{reference}/postmortem/feedback", response=dict[str, Any])
def give_feedback(request, reference: str, payload: FeedbackIn):
    feedback = feedback_give(
        actor=request.auth, source=API, postmortem=_postmortem(request, reference), **payload.dict()
    )
    return {
        "response_rating": feedback.response_rating,
        "postmortem_rating": feedback.postmortem_rating,
        "improve": feedback.improve,
    }


@router.get("/review", response=dict[str, Any])
def get_review(request, since: date | None = None, format: str = ""):
    report = review_report(viewer=request.auth, since=since)
    if wants_csv(request, format):
        return csv_response(review_csv(report), "review.csv")
    return report

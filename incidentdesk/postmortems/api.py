"""Postmortem endpoints of the JSON API (/api/v1): parse, call the service, render."""

from typing import Any

from ninja import Router, Status

from incidentdesk.core.sources import ActionSource
from incidentdesk.incidents.api import _incident
from incidentdesk.postmortems import selectors, services
from incidentdesk.postmortems.present import postmortem_json
from incidentdesk.postmortems.schemas import (
    EditIn,
    ReviewIn,
    StartIn,
    TemplateOut,
    TermIn,
    TermOut,
)

router = Router(tags=["postmortems"])
API = ActionSource.API


def _postmortem(reference: str):
    return services.postmortem_by_reference(_incident(reference))


@router.get("/incidents/{reference}/postmortem", response=dict[str, Any])
def get_postmortem(request, reference: str):
    return postmortem_json(_postmortem(reference))


@router.post("/incidents/{reference}/postmortem", response={201: dict[str, Any]})
def start_postmortem(request, reference: str, payload: StartIn):
    postmortem = services.postmortem_start(
        actor=request.auth, source=API, incident=_incident(reference), template=payload.template
    )
    return Status(201, postmortem_json(services.postmortem_by_reference(postmortem.incident)))


@router.patch("/incidents/{reference}/postmortem", response=dict[str, Any])
def edit_postmortem(request, reference: str, payload: EditIn):
    changes = payload.dict(exclude_none=True)
    result = services.postmortem_edit(
        actor=request.auth, source=API, postmortem=_postmortem(reference), **changes
    )
    return postmortem_json(result.postmortem, result.warnings)


@router.post("/incidents/{reference}/postmortem/review", response=dict[str, Any])
def review_postmortem(request, reference: str, payload: ReviewIn):
    postmortem = services.postmortem_review(
        actor=request.auth, source=API, postmortem=_postmortem(reference), **payload.dict()
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

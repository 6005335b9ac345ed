"""Web forms of the postmortem page for follow-ups, wins, the meeting and feedback: parse,
call the service, redirect back. A refused form comes back on the page with its error next to
the field it names and what was sent kept (`refused_page`); who-may and not-found errors map
through `web_errors` like the rest of the page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.dateparse import parse_date
from django.views.decorators.http import require_POST

from incidentdesk.core.errors import IncidentDeskError, NotFound, ValidationError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import web_errors
from incidentdesk.incidents.page import load_incident
from incidentdesk.postmortems import services
from incidentdesk.postmortems.feedback import feedback_give
from incidentdesk.postmortems.followups import followup_create
from incidentdesk.postmortems.meetings import meeting_ics, meeting_of, meeting_schedule
from incidentdesk.postmortems.review import went_well_add
from incidentdesk.postmortems.views import refused_page
from incidentdesk.postmortems.writing import handles

WEB = ActionSource.WEB


def _postmortem(request, reference: str):
    return services.postmortem_by_reference(load_incident(request, reference))


def _date(value: str, field: str):
    if not value.strip():
        return None
    try:
        parsed = parse_date(value.strip())
    except ValueError:  # well formed but not a real day, like 2026-02-30
        parsed = None
    if parsed is None:
        raise ValidationError("must be a date (YYYY-MM-DD)", field=field)
    return parsed


def _back(request, postmortem, text: str):
    messages.success(request, text)
    return redirect("postmortem_page", postmortem.incident.reference)


@login_required
@require_POST
@web_errors
def followup_add(request, reference: str):
    postmortem = _postmortem(request, reference)
    post = request.POST
    try:
        item = followup_create(
            actor=request.user,
            source=WEB,
            postmortem=postmortem,
            title=post.get("title", ""),
            owner=post.get("owner", "").strip(),
            category=post.get("category", ""),
            priority=post.get("priority", "medium"),
            due_date=_date(post.get("due_date", ""), "due_date"),
            external_url=post.get("external_url", ""),
        )
    except IncidentDeskError as exc:
        return refused_page(request, postmortem.incident, exc, "followup")
    return _back(request, postmortem, f"Follow-up added, due {item.due_date:%Y-%m-%d}.")


@login_required
@require_POST
@web_errors
def went_well(request, reference: str):
    postmortem = _postmortem(request, reference)
    try:
        went_well_add(
            actor=request.user,
            source=WEB,
            postmortem=postmortem,
            text=request.POST.get("text", ""),
            action_item=request.POST.get("action_item", ""),
        )
    except IncidentDeskError as exc:
        return refused_page(request, postmortem.incident, exc, "went_well")
    return _back(request, postmortem, "Noted.")


@login_required
@require_POST
@web_errors
def meeting(request, reference: str):
    postmortem = _postmortem(request, reference)
    try:
        meeting_schedule(
            actor=request.user,
            source=WEB,
            postmortem=postmortem,
            starts_at=request.POST.get("starts_at", ""),
            duration_minutes=request.POST.get("duration_minutes", ""),
            location=request.POST.get("location", ""),
            # Picked from people, one value each; a typed list is still read.
            attendees=handles(request.POST.getlist("attendees")),
        )
    except IncidentDeskError as exc:
        return refused_page(request, postmortem.incident, exc, "meeting")
    return _back(request, postmortem, "Meeting scheduled; invites are on their way.")


@login_required
@web_errors
def meeting_download(request, reference: str):
    postmortem = _postmortem(request, reference)
    found = meeting_of(postmortem)
    if found is None:
        raise NotFound("no root-cause meeting is scheduled", field="meeting")
    response = HttpResponse(meeting_ics(found), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{reference}-meeting.ics"'
    return response


@login_required
@require_POST
@web_errors
def feedback(request, reference: str):
    postmortem = _postmortem(request, reference)
    try:
        feedback_give(
            actor=request.user,
            source=WEB,
            postmortem=postmortem,
            response_rating=request.POST.get("response_rating"),
            postmortem_rating=request.POST.get("postmortem_rating"),
            improve=request.POST.get("improve", ""),
        )
    except IncidentDeskError as exc:
        return refused_page(request, postmortem.incident, exc, "feedback")
    return _back(request, postmortem, "Thank you for the feedback.")

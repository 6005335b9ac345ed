"""The postmortem page: parse the form, call the service, render. Errors map through
`web_errors` like the incident page's."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from incidentdesk.accounts.models import User
from incidentdesk.accounts.permissions import Perm, has_perm
from incidentdesk.core.errors import IncidentDeskError, NotFound, as_sentence
from incidentdesk.core.markdown import render_markdown
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import is_page_error, web_errors
from incidentdesk.incidents.models import (
    ActionCategory,
    ActionPriority,
    Incident,
    IncidentStatus,
)
from incidentdesk.incidents.page import load_incident
from incidentdesk.postmortems import present, selectors, services, writing
from incidentdesk.postmortems.feedback import feedback_of, may_give_feedback
from incidentdesk.postmortems.meetings import meeting_of
from incidentdesk.postmortems.models import SectionKind
from incidentdesk.postmortems.pdf import to_pdf

WEB = ActionSource.WEB
WHY_ROWS = 5
WARNINGS_KEY = "postmortem_warnings"
MEASURE_LABELS = {label for _, label, _, _ in selectors.MEASURES}


def _shown(document, kind: str, attribute: str, compute):
    """What the document's section of that kind already holds; computed when it has none."""
    for section in document:
        if section.kind == kind:
            return getattr(section, attribute)
    return compute()


def _improvement(postmortem, user, document) -> dict:
    """Follow-ups, what went well, the meeting and the user's own feedback."""
    meeting = meeting_of(postmortem)
    zone = selectors.reporting_zone()
    return {
        "followups": _shown(
            document, SectionKind.ACTIONS, "followups", lambda: present.followup_rows(postmortem)
        ),
        "went_well": _shown(
            document, SectionKind.WENT_WELL, "went_well", lambda: present.went_well_rows(postmortem)
        ),
        "meeting": meeting,
        "attendees": list(meeting.attendees.all()) if meeting else [],
        "meeting_when": selectors.report_time(meeting.starts_at) if meeting else "",
        "meeting_input": f"{meeting.starts_at.astimezone(zone):%Y-%m-%dT%H:%M}" if meeting else "",
        "my_feedback": feedback_of(postmortem, user),
        "can_feedback": may_give_feedback(user, postmortem),
        "categories": ActionCategory.choices,
        "priorities": ActionPriority.choices,
        "ratings": range(1, 6),
    }


def _edit_anchor(post) -> str:
    part = post.get("part", "")
    if part == "section":
        return f"section-{post.get('key', '')}"
    return {"public": "public", "five_whys": "section-five_whys"}.get(part, "pm-status")


def _chosen(refused, form: str, name: str, people) -> list[str]:
    """The usernames ticked in a people picker: as sent when the form was refused, else the
    people it holds now."""
    if refused and form in refused.kept:
        return writing.handles(refused.kept[form].getlist(name))
    return [p.username for p in people]


def _page(request, incident, *, warnings=None, status=200, refused=None):
    """The page; `refused` is a `Refused` (the error, the form it came from, what was sent) to
    show next to its field, with the sent values kept in that form."""
    if warnings is None:
        warnings = request.session.pop(WARNINGS_KEY, None)
    postmortem = selectors.postmortem_for(incident)
    user = request.user
    context = {
        "incident": incident,
        "postmortem": postmortem,
        "warnings": warnings or [],
        "errors": refused.errors if refused else {},
        "kept": refused.kept if refused else {},
        "can_start": incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        "can_edit": has_perm(user, Perm.POSTMORTEM_EDIT),
        "templates": selectors.templates(),
    }
    if postmortem is None:
        return render(request, "postmortems/page.html", context, status=status)
    document = present.document(postmortem)
    kinds = {section.kind for section in document}
    sent = refused.sent if refused else {}
    errors = refused.errors if refused else {}
    whys = sent.get("five_whys", list(postmortem.five_whys))
    whys = whys + [{"why": "", "because": ""}] * max(WHY_ROWS - len(whys), 1)
    for section in document:
        part = writing.part_of(section)
        if part:
            value = sent.get(part, services.part_value(postmortem, part))
            section.editor = writing.Editor(
                part=part,
                draft=value,
                base=services.fingerprint(services.part_value(postmortem, part)),
                error=errors.get(part, ""),
            )
    public_fields = [
        writing.Editor(
            part=name,
            label=label,
            draft=sent.get(name, getattr(postmortem, name)),
            base=services.fingerprint(getattr(postmortem, name)),
            error=errors.get(name, ""),
        )
        for name, label in present.PUBLIC_LABELS
    ]
    chosen = sent.get("taxonomy", postmortem.taxonomy_tree)
    context.update(
        document=document,
        written=sum(1 for section in document if section.written),
        whys=whys,
        taxonomy=writing.taxonomy_picker(selectors.taxonomy_terms(), chosen),
        editable=not postmortem.is_published,
        can_publish=has_perm(user, Perm.POSTMORTEM_PUBLISH),
        can_add_actions=has_perm(user, Perm.ACTION_WRITE),
        reviewers=[r.display_name for r in postmortem.reviewers.all()],
        chosen_reviewers=_chosen(refused, "review", "reviewers", postmortem.reviewers.all()),
        people=User.objects.filter(is_active=True).order_by("username"),
        measures=[
            f
            for f in _shown(
                document, SectionKind.FACTS, "facts", lambda: selectors.incident_facts(incident)
            )
            if f.label in MEASURE_LABELS
        ],
        published_when=selectors.report_time(postmortem.published_at),
        zone=settings.REPORTING_TIME_ZONE,
        public_fields=public_fields,
        public_written=any(getattr(postmortem, name) for name, _ in present.PUBLIC_LABELS),
        has_actions_section=SectionKind.ACTIONS in kinds,
        has_went_well_section=SectionKind.WENT_WELL in kinds,
        **_improvement(postmortem, user, document),
    )
    context["chosen_attendees"] = _chosen(refused, "meeting", "attendees", context["attendees"])
    return render(request, "postmortems/page.html", context, status=status)


@login_required
@web_errors
def postmortem_page(request, reference: str):
    return _page(request, load_incident(request, reference))


@login_required
@require_POST
@web_errors
def postmortem_start(request, reference: str):
    incident = load_incident(request, reference)
    services.postmortem_start(
        actor=request.user,
        source=WEB,
        incident=incident,
        template=request.POST.get("template", "blameless"),
    )
    return redirect("postmortem_page", incident.reference)


@login_required
@require_POST
@web_errors
def postmortem_edit(request, reference: str):
    """Save one part of the writing. The page's script sends each part by itself as its writer
    types (htmx: the answer is the part's save status, its new fingerprint and its error, if
    any, next to the field); without the script each part's form posts and the page comes back,
    with a refusal shown at its field and the text sent kept in it."""
    incident = load_incident(request, reference)
    postmortem = services.postmortem_by_reference(incident)
    changes = writing.changes(request.POST)
    try:
        result = services.postmortem_edit(
            actor=request.user,
            source=WEB,
            postmortem=postmortem,
            base=writing.bases(request.POST),
            **changes,
        )
    except IncidentDeskError as exc:
        if is_page_error(exc):
            raise
        refused = writing.refusal(exc, request.POST, changes)
        if request.htmx:
            # The section as it stands now (someone else's version, after a conflict) shows
            # above the writer's own text, which stays in the box.
            return writing.status_answer(
                request,
                incident,
                postmortem=services.postmortem_by_reference(incident),
                refused=refused,
                status=exc.status_code,
            )
        return _page(request, incident, refused=refused, status=exc.status_code)
    if request.htmx:
        return writing.status_answer(
            request,
            incident,
            postmortem=result.postmortem,
            post=request.POST,
            warnings=result.warnings,
        )
    messages.success(request, "Saved.")
    # Shown once by the page the browser is sent to, so a reload never posts the form again.
    request.session[WARNINGS_KEY] = result.warnings
    anchor = _edit_anchor(request.POST)
    return redirect(f"{reverse('postmortem_page', args=[incident.reference])}#{anchor}")


@login_required
@require_POST
@web_errors
def postmortem_review(request, reference: str):
    incident = load_incident(request, reference)
    reviewers = writing.handles(request.POST.getlist("reviewers"))
    try:
        postmortem = services.postmortem_review(
            actor=request.user,
            source=WEB,
            postmortem=services.postmortem_by_reference(incident),
            status=request.POST.get("status", ""),
            reviewers=reviewers,
            reason=request.POST.get("reason", ""),
        )
    except IncidentDeskError as exc:
        return refused_page(request, incident, exc, "review")
    messages.success(request, f"Postmortem is now {postmortem.get_status_display().lower()}.")
    return redirect("postmortem_page", incident.reference)


def refused_page(request, incident, exc: IncidentDeskError, form: str):
    """The page again with a refused form's error next to its field and its values kept; an
    error about who may do what, or about what exists, is answered by `web_errors`."""
    if is_page_error(exc) and not writing.about_input(exc, form):
        raise exc
    refused = writing.form_refusal(exc, form, request.POST)
    if exc.field == "taxonomy":  # publishing without the conclusion: said at the picker too
        refused.errors["taxonomy"] = as_sentence(exc.message)
    return _page(request, incident, refused=refused, status=exc.status_code)


@login_required
@require_POST
@web_errors
def postmortem_preview(request, reference: str):
    """The markdown as it will show, with the blameless check's findings (htmx)."""
    visible = Incident.objects.visible_to(request.user)
    if not visible.filter(reference=reference).exists():  # runs on every keystroke
        raise NotFound(f"there is no incident {reference}", field="reference")
    text = request.POST.get("text", "")[: services.SECTION_MAX]
    return render(
        request,
        "postmortems/_preview.html",
        {"html": render_markdown(text), "warnings": services.text_warnings([("", text)])},
    )


@login_required
@web_errors
def postmortem_export(request, reference: str):
    incident = load_incident(request, reference)
    postmortem = services.postmortem_by_reference(incident)
    body: str | bytes
    if request.GET.get("format") == "pdf":
        body, kind, ext = to_pdf(postmortem), "application/pdf", "pdf"
    elif request.GET.get("format") == "html":
        body, kind, ext = present.to_html(postmortem), "text/html", "html"
    else:
        body, kind, ext = present.to_markdown(postmortem), "text/markdown", "md"
    charset = "" if ext == "pdf" else "; charset=utf-8"
    response = HttpResponse(body, content_type=f"{kind}{charset}")
    response["Content-Disposition"] = (
        f'attachment; filename="{incident.reference}-postmortem.{ext}"'
    )
    return response

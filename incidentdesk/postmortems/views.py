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
from incidentdesk.core.errors import NotFound, ValidationError
from incidentdesk.core.markdown import render_markdown
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import web_errors
from incidentdesk.incidents.models import (
    ActionCategory,
    ActionPriority,
    Incident,
    IncidentStatus,
)
from incidentdesk.incidents.page import load_incident
from incidentdesk.postmortems import present, selectors, services
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


def _page(request, incident, *, warnings=None, status=200):
    if warnings is None:
        warnings = request.session.pop(WARNINGS_KEY, None)
    postmortem = selectors.postmortem_for(incident)
    user = request.user
    context = {
        "incident": incident,
        "postmortem": postmortem,
        "warnings": warnings or [],
        "can_start": incident.status in (IncidentStatus.RESOLVED, IncidentStatus.CLOSED),
        "can_edit": has_perm(user, Perm.POSTMORTEM_EDIT),
        "templates": selectors.templates(),
    }
    if postmortem is None:
        return render(request, "postmortems/page.html", context, status=status)
    document = present.document(postmortem)
    kinds = {section.kind for section in document}
    whys = list(postmortem.five_whys)
    whys += [{"why": "", "because": ""}] * max(WHY_ROWS - len(whys), 1)
    public_fields = [
        (name, label, getattr(postmortem, name)) for name, label in present.PUBLIC_LABELS
    ]
    context.update(
        document=document,
        written=sum(1 for section in document if section.written),
        whys=whys,
        terms=selectors.taxonomy_terms(),
        editable=not postmortem.is_published,
        can_publish=has_perm(user, Perm.POSTMORTEM_PUBLISH),
        can_add_actions=has_perm(user, Perm.ACTION_WRITE),
        reviewers=[r.display_name for r in postmortem.reviewers.all()],
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
        public_written=any(value for _, _, value in public_fields),
        has_actions_section=SectionKind.ACTIONS in kinds,
        has_went_well_section=SectionKind.WENT_WELL in kinds,
        **_improvement(postmortem, user, document),
    )
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


def _edit_changes(post) -> dict:
    """The one thing a form on the page changes: a section, the whys, the taxonomy or the
    public version."""
    part = post.get("part", "")
    if part == "section":
        return {"sections": {post.get("key", ""): post.get("text", "")}}
    if part == "five_whys":
        pairs = zip(post.getlist("why"), post.getlist("because"), strict=False)
        return {"five_whys": [{"why": w, "because": b} for w, b in pairs if w.strip() or b.strip()]}
    if part == "taxonomy":
        return {"taxonomy": post.get("taxonomy", "")}
    if part == "public":
        return {name: post.get(name, "") for name, _ in present.PUBLIC_LABELS}
    raise ValidationError("unknown part of the postmortem", field="part")


@login_required
@require_POST
@web_errors
def postmortem_edit(request, reference: str):
    incident = load_incident(request, reference)
    result = services.postmortem_edit(
        actor=request.user,
        source=WEB,
        postmortem=services.postmortem_by_reference(incident),
        **_edit_changes(request.POST),
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
    reviewers = [h for h in request.POST.get("reviewers", "").replace(",", " ").split() if h]
    postmortem = services.postmortem_review(
        actor=request.user,
        source=WEB,
        postmortem=services.postmortem_by_reference(incident),
        status=request.POST.get("status", ""),
        reviewers=reviewers,
        reason=request.POST.get("reason", ""),
    )
    messages.success(request, f"Postmortem is now {postmortem.get_status_display().lower()}.")
    return redirect("postmortem_page", incident.reference)


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

"""An incident's chat transcript on the web: a panel on the incident page (the latest messages
of each of its conversations) and the whole transcript on its own page,
`/incidents/<reference>/transcript` (transcript_urls.py), shown to whoever may see the
incident (a restricted one answers 404 to anyone else, as the incident page does). Chat text
is shown as written, never as HTML."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render

from incidentdesk.chat.models import ChatMessage, IncidentConversation
from incidentdesk.chat.transcripts import transcript_of
from incidentdesk.core.web import web_errors
from incidentdesk.incidents import panels
from incidentdesk.incidents.models import Incident
from incidentdesk.incidents.page import load_incident

PANEL_MESSAGES = 10  # the latest messages of each conversation the panel shows
PAGE_MESSAGES = 200


def transcript_panel(request, incident: Incident) -> dict:
    """The incident's conversations with their latest messages (none: no panel)."""
    return {"chat_transcripts": transcript_of(incident, limit=PANEL_MESSAGES)}


@login_required
@web_errors
def transcript(request, reference: str):
    """The whole transcript, page by page, earliest first."""
    incident = load_incident(request, reference)
    conversations = list(IncidentConversation.objects.filter(incident=incident))
    messages = (
        ChatMessage.objects.filter(conversation__incident=incident)
        .select_related("conversation")
        .order_by("conversation__platform", "posted_at", "pk")
    )
    page = Paginator(messages, PAGE_MESSAGES).get_page(request.GET.get("page"))
    return render(
        request,
        "chat/transcript.html",
        {"incident": incident, "conversations": conversations, "page": page},
    )


def register() -> None:
    panels.register(
        "chat_transcript",
        template="chat/_transcript_panel.html",
        context=transcript_panel,
        order=60,
    )

"""Acknowledging a page from where the page reached the person: the one-click link of every
page notification (`/pages/ack/<token>`) and the chat direct message's Acknowledge button.

The link's signature is its authority (it names the page and the person it was sent to, and
expires after PAGE_ACK_LINK_HOURS), so the view needs no session: GET shows one button (mail
scanners and link previews follow links; they must not acknowledge anything), POST
acknowledges, from that button or from an ntfy action. No cookie carries the authority, so
there is nothing for a cross-site request to borrow: the view is exempt from the CSRF check,
as the unsubscribe links are."""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from incidentdesk.chat.handling import actor_of, on_button, reply
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.core.errors import IncidentDeskError, NotFound
from incidentdesk.core.sources import ActionSource
from incidentdesk.oncall.models import Page, PageStatus
from incidentdesk.oncall.notices import ACKNOWLEDGE_BUTTON
from incidentdesk.oncall.paging import ack_link_reader, page_acknowledge


def _render(request, status: int = 200, **context):
    return render(request, "oncall/ack.html", context, status=status)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def acknowledge_link(request, token: str):
    try:
        page, person = ack_link_reader(token)
        if request.method == "POST":
            page = page_acknowledge(actor=person, source=ActionSource.WEB, page=page)
            return _render(request, page=page, person=person, done=True)
    except IncidentDeskError as exc:
        return _render(request, exc.status_code, problem=exc.message)
    return _render(
        request,
        page=page,
        person=person,
        token=token,
        waiting=page.status != PageStatus.ACKNOWLEDGED,
    )


def chat_acknowledge(event: InboundEvent) -> None:
    """The Acknowledge button under a page's direct message: the presser (the linked account)
    acknowledges the page named by the button's value."""
    actor = actor_of(event)
    try:
        page_id = int(str(event.values.get("value") or ""))
    except ValueError:
        raise NotFound("this button names no page", field="page") from None
    page = Page.objects.filter(pk=page_id).first()
    if page is None:
        raise NotFound("that page no longer exists", field="page")
    page = page_acknowledge(actor=actor, source=ActionSource.CHAT, page=page)
    who = page.acknowledged_by.display_name if page.acknowledged_by else actor.display_name
    reply(event, f"Acknowledged by {who}: {page.summary}. The escalation has stopped.")


def register() -> None:
    on_button(ACKNOWLEDGE_BUTTON, chat_acknowledge)

"""The public subscription pages. Unlike the rest of the public site they are dynamic: each
answers one visitor.

The subscribe form sits on pre-rendered pages that carry no CSRF token, so POST /subscribe is
CSRF-exempt. That is safe here: it changes nothing that belongs to the visitor (there is no
session), an email subscription does nothing until its owner follows the emailed link, and
the service limits requests per IP. A honeypot field turns simple bots away without a word.
Unsubscribing accepts POST without a token too (RFC 8058 one-click from mail clients)."""

from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from incidentdesk.core.errors import IncidentDeskError
from incidentdesk.core.sources import ActionSource
from incidentdesk.core.web import add_service_error
from incidentdesk.statuspage import subscribers as services
from incidentdesk.statuspage.forms import SubscribeForm, leaf_components
from incidentdesk.statuspage.models import PageSettings
from incidentdesk.statuspage.pages import base_context

TEMPLATES = "statuspage/public/subscribe/"


def _render(request, name: str, status: int = 200, **context):
    frame = base_context(PageSettings.load())
    return render(request, TEMPLATES + name, {**frame, **context}, status=status)


def _form_page(request, form, status: int = 200):
    components = leaf_components().filter(showcase=True)
    return _render(request, "form.html", status, form=form, components=components)


def client_ip(request) -> str:
    """The visitor's address as the server saw it. (Behind a proxy, every visitor shares the
    proxy's address and its limit.)"""
    return request.META.get("REMOTE_ADDR", "")


@csrf_exempt
@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "GET":
        return _form_page(request, SubscribeForm())
    form = SubscribeForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, 422)
    data = form.cleaned_data
    if data["website"]:
        # Only a bot fills the hidden field: answer as if it worked, store nothing.
        return _render(request, "subscribed.html", kind="email", address=data["email"])
    try:
        subscriber = services.subscriber_subscribe(
            source=ActionSource.WEB,
            ip=client_ip(request),
            email=data["email"].strip() or None,
            url=data["url"].strip() or None,
            component_ids=data["components"] or None,
        )
    except IncidentDeskError as exc:
        if exc.status_code == 429:
            return _render(request, "limited.html", 429, message=exc.message)
        add_service_error(form, exc)
        return _form_page(request, form, exc.status_code)
    # An email address already subscribed gets the very page a new one gets: a stranger must
    # not learn who subscribes. (A webhook's page differs: its secret is shown only once.)
    already = subscriber.kind == "webhook" and getattr(subscriber, "already_subscribed", False)
    return _render(
        request,
        "subscribed.html",
        kind=subscriber.kind,
        address=subscriber.address,
        already=already,
        secret=getattr(subscriber, "webhook_secret", None),
        components=list(subscriber.components.all()),
    )


@require_GET
def confirm(request, token: str):
    try:
        subscriber = services.subscriber_confirm(token=token, source=ActionSource.WEB)
    except IncidentDeskError as exc:
        return _render(request, "problem.html", exc.status_code, message=exc.message)
    return _render(request, "confirmed.html", address=subscriber.address, token=token)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    """GET asks for a click (mail scanners follow links; they must not unsubscribe anyone);
    POST unsubscribes, from our button or from a mail client's one-click request."""
    if request.method == "GET":
        return _render(request, "unsubscribe.html", token=token)
    try:
        subscriber = services.subscriber_unsubscribe(token=token, source=ActionSource.WEB)
    except IncidentDeskError as exc:
        return _render(request, "problem.html", exc.status_code, message=exc.message)
    return _render(request, "unsubscribed.html", address=subscriber.address)

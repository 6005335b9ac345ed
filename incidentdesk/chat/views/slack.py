"""Slack's three Request URLs (the app's settings name them; docs/chat.md gives the manifest):
the Events API, the `/incident` slash command and interactivity (forms and buttons). All three
are read by the Slack platform, which tells each kind of body apart; each is its own address
because Slack asks for three."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from incidentdesk.chat.views.inbound import take

PLATFORM = "slack"


@csrf_exempt
@require_POST
def events(request: HttpRequest) -> HttpResponse:
    return take(request, PLATFORM)


@csrf_exempt
@require_POST
def commands(request: HttpRequest) -> HttpResponse:
    return take(request, PLATFORM)


@csrf_exempt
@require_POST
def interactions(request: HttpRequest) -> HttpResponse:
    return take(request, PLATFORM)

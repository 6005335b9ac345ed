"""Public documentation the product points outsiders to: what a webhook subscriber receives.
Every webhook body's `meta.documentation` links here (messages.webhook_documentation_url)."""

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_GET

from incidentdesk.notifications.channels.webhook import USER_AGENT
from incidentdesk.statuspage.models import PageSettings
from incidentdesk.statuspage.pages import base_context


@require_GET
def webhook_documentation(request):
    frame = base_context(PageSettings.load())
    context = {**frame, "user_agent": USER_AGENT, "timeout": settings.WEBHOOK_TIMEOUT_SECONDS}
    return render(request, "statuspage/public/webhooks.html", context)

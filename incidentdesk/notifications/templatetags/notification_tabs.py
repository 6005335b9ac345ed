"""`{% notification_tabs as tabs %}`: the registered tabs of the notification pages, each with
its label, name and URL."""

from django import template
from django.urls import reverse

from incidentdesk.notifications.tabs import tabs

register = template.Library()


@register.simple_tag
def notification_tabs() -> list[dict[str, str]]:
    return [{"name": t.name, "label": t.label, "url": reverse(t.url_name)} for t in tabs()]

"""Template tags of the live pages (incidents/live.py): the poller's version and interval, the
panels swapped out of band, and moments written as they are read ("12 minutes ago")."""

from django import template
from django.utils.safestring import mark_safe

from incidentdesk.incidents import live

register = template.Library()


@register.simple_tag(takes_context=True)
def live_version(context) -> str:
    """The version the page shows, read before its data (live.read_before_drawing, or the
    poll that drew it); "" when nothing read it first: the page's first poll then answers in
    full, so a change made while it was drawn is never missed."""
    request = context.get("request")
    return str(getattr(request, "live_version", ""))


@register.simple_tag
def live_interval() -> str:
    return f"{live.POLL_SECONDS:g}"


@register.simple_tag(takes_context=True)
def live_panels(context) -> str:
    return mark_safe(live.panels_out_of_band(context))


@register.filter
def live_ago(moment) -> str:
    return live.ago(moment) if moment else ""


@register.filter
def live_clock(start, end=None) -> str:
    return live.clock(start, end) if start else ""

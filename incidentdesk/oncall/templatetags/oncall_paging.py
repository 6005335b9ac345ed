"""`{% contact_methods_section %}`: the contact methods section of "My on-call" (or any page of
the signed-in person), with what it needs read here, so the page's view need not know it."""

from django import template

from incidentdesk.oncall.paging_views import contact_methods_context

register = template.Library()


@register.inclusion_tag("oncall/_contact_methods.html", takes_context=True)
def contact_methods_section(context):
    request = context["request"]
    shown = {"request": request, "user": request.user, "csrf_token": context.get("csrf_token")}
    if "contact_methods" in context and "contact_form" in context:
        return shown | {k: context[k] for k in ("contact_methods", "contact_form")}
    return shown | contact_methods_context(request.user)

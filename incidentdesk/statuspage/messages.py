"""What subscribers are sent: Statuspage's webhook bodies and the matching email text, built
when the change is made so every retry sends the same thing."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidentdesk.statuspage.models import PageSettings, PublicIncident, PublicUpdate
from incidentdesk.statuspage.serializers import component_json, incident_json, iso


def webhook_documentation_url() -> str:
    """The public page describing webhook bodies, headers and signatures (views_docs)."""
    return f"{settings.BASE_URL}{reverse('webhook_documentation')}"


def _meta() -> dict:
    return {
        "unsubscribe": None,
        "documentation": webhook_documentation_url(),
        "generated_at": iso(timezone.now()),
    }


def _page_status(page: PageSettings) -> dict:
    from incidentdesk.statuspage.render import page_status

    indicator, description = page_status()
    return {
        "id": page.page_id,
        "status_indicator": indicator,
        "status_description": description,
    }


def incident_payload(pi: PublicIncident, update: PublicUpdate) -> dict:
    page = PageSettings.load()
    incident = incident_json(
        PublicIncident.objects.prefetch_related("updates", "affected__component__group").get(
            pk=pi.pk
        ),
        page,
    )
    context = {"page": page, "incident": pi, "update": update, "url": incident["shortlink"]}
    return {
        "meta": _meta(),
        "page": _page_status(page),
        "incident": incident,
        "email": {
            "subject": render_to_string("statuspage/email/incident_subject.txt", context).strip(),
            "text": render_to_string("statuspage/email/incident.txt", context),
        },
    }


def component_payload(component, old_status: str, new_status: str) -> dict:
    page = PageSettings.load()
    context = {
        "page": page,
        "component": component,
        "old": old_status,
        "new": new_status,
        "url": settings.BASE_URL,
    }
    return {
        "meta": _meta(),
        "page": _page_status(page),
        "component_update": {
            "created_at": iso(timezone.now()),
            "new_status": new_status,
            "old_status": old_status,
            "id": f"{component.public_id}-{int(timezone.now().timestamp())}",
            "component_id": component.public_id,
        },
        "component": component_json(component, page),
        "email": {
            "subject": f"[{page.name}] {component.name} is {new_status.replace('_', ' ')}",
            "text": render_to_string("statuspage/email/component.txt", context),
        },
    }

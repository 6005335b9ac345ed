"""What the status page tells its subscribers. An event's data is the Statuspage event
document (`meta`, `page`, then `incident` or `component_update` + `component`), built when the
change is made; each channel kind words it with its renderer (registered in notices.py): the
webhook body is the document itself, the email is written from its templates when the event
is emitted, so every retry sends the same words."""

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from incidentdesk.statuspage.models import PageSettings, PublicIncident, PublicUpdate
from incidentdesk.statuspage.serializers import component_json, incident_json, iso


def webhook_documentation_url() -> str:
    """The public page describing webhook bodies, headers and signatures (views/docs.py)."""
    return f"{settings.BASE_URL}{reverse('webhook_documentation')}"


def _meta() -> dict:
    return {
        "unsubscribe": None,
        "documentation": webhook_documentation_url(),
        "generated_at": iso(timezone.now()),
    }


def _page_status(page: PageSettings) -> dict:
    from incidentdesk.statuspage.selectors import page_status

    indicator, description = page_status()
    return {
        "id": page.page_id,
        "status_indicator": indicator,
        "status_description": description,
    }


def incident_payload(published: PublicIncident, update: PublicUpdate) -> dict:
    """The data of an event about a publication and one of its updates."""
    page = PageSettings.load()
    incident = incident_json(
        PublicIncident.objects.prefetch_related("updates", "affected__component__group").get(
            pk=published.pk
        ),
        page,
    )
    return {
        "meta": _meta(),
        "page": _page_status(page),
        "incident": incident,
        "publication": published.pk,
        "update": update.pk,
    }


def incident_email(data: dict) -> dict:
    """The email about a publication's update."""
    update = PublicUpdate.objects.select_related("public_incident").get(pk=data["update"])
    context = {
        "page": PageSettings.load(),
        "incident": update.public_incident,
        "update": update,
        "url": data["incident"]["shortlink"],
    }
    return {
        "subject": render_to_string("statuspage/email/incident_subject.txt", context).strip(),
        "text": render_to_string("statuspage/email/incident.txt", context),
    }


def component_payload(component, old_status: str, new_status: str) -> dict:
    """The data of an event about a component's status change."""
    page = PageSettings.load()
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
    }


def component_email(data: dict) -> dict:
    """The email about a component's status change."""
    page = PageSettings.load()
    change = data["component_update"]
    old, new = change["old_status"], change["new_status"]
    context = {
        "page": page,
        "component": data["component"],
        "old": old,
        "new": new,
        "url": settings.BASE_URL,
    }
    name = data["component"]["name"]
    return {
        "subject": f"[{page.name}] {name} is {new.replace('_', ' ')}",
        "text": render_to_string("statuspage/email/component.txt", context),
    }


WEBHOOK_KEYS = ("meta", "page", "incident", "component_update", "component")


def webhook_body(data: dict) -> dict:
    """Statuspage's webhook body: the event document without our own references."""
    return {key: data[key] for key in WEBHOOK_KEYS if key in data}

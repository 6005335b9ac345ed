"""How pages reach people through the notification engine.

- The audience `oncall.pagee` hears `page.notify` events (one per page, step run and person):
  the person's contact methods in order, else their account's email. At send time it skips a
  delivery whose page was acknowledged or cancelled meanwhile, except the first step's (the
  first notification always goes, even when someone acknowledged within the same second).
- Renderers word `page.notify` for every kind a contact method can be (email, webhook, ntfy,
  sms, voice, apprise, chat) and `page.exhausted` (to admins) for email. They run at emit, from
  the event's data alone, so every retry sends the same words.

A delivery's reference is `<page id>:<user id>:<round>:<step>:<contact method id, 0 for the
account email>` (the engine's delivery key is made from it, so it differs per method)."""

from dataclasses import asdict

from incidentdesk.accounts.models import User
from incidentdesk.chat.platforms.base import Button
from incidentdesk.notifications import registry
from incidentdesk.oncall.contacts import webhook_secret
from incidentdesk.oncall.escalation import EXHAUSTED_TOPIC, NOTIFY_TOPIC
from incidentdesk.oncall.models import ContactKind, ContactMethod, Page, PageStatus

AUDIENCE = "oncall.pagee"
ACKNOWLEDGE_BUTTON = "oncall.page_acknowledge"
OPEN_BUTTON = "oncall.page_open"
SMS_SUMMARY_MAX = 90
STOPPED: dict[str, str] = {
    PageStatus.ACKNOWLEDGED: "skipped: the page was acknowledged",
    PageStatus.CANCELLED: "skipped: the page was cancelled",
}


def _address(method: ContactMethod) -> str:
    if method.kind == ContactKind.CHAT:  # `<platform>:<user>` → a direct message to them
        platform, _, user = method.address.partition(":")
        return f"{platform}:direct:{user}"
    return method.address


class Pagees:
    """The person a `page.notify` event is for, by each of their contact methods."""

    name = AUDIENCE

    def recipients(self, event) -> list[registry.Recipient]:
        data = event.payload
        person = int((data.get("person") or {}).get("id") or 0)
        page = int((data.get("page") or {}).get("id") or 0)
        prefix = f"{page}:{person}:{data.get('round', 0)}:{data.get('step', 0)}"
        methods = ContactMethod.objects.filter(user_id=person).order_by("position")
        found = [registry.Recipient(m.kind, _address(m), f"{prefix}:{m.pk}") for m in methods]
        if found:
            return found
        user = User.objects.filter(pk=person, is_active=True).first()
        return (
            [registry.Recipient("email", user.email, f"{prefix}:0")] if user and user.email else []
        )

    def standing(self, references: list[str]) -> dict[str, registry.Standing]:
        parsed = {}
        for reference in references:
            parts = reference.split(":")
            if len(parts) == 5 and all(part.isdigit() for part in parts):
                parsed[reference] = [int(part) for part in parts]
        statuses = dict(
            Page.objects.filter(pk__in={p[0] for p in parsed.values()}).values_list("pk", "status")
        )
        webhooks = set(
            ContactMethod.objects.filter(
                pk__in={p[4] for p in parsed.values()}, kind=ContactKind.WEBHOOK
            ).values_list("pk", flat=True)
        )
        answer = {}
        for reference, (page, _user, round_, step, method) in parsed.items():
            if page not in statuses:
                continue  # the page is gone: the engine skips it
            first = round_ == 0 and step == 0
            skip = "" if first else STOPPED.get(statuses[page], "")
            secret = webhook_secret(method) if method in webhooks else ""
            answer[reference] = registry.Standing(skip=skip, signing_secret=secret)
        return answer


# -- words ------------------------------------------------------------------------------------


def _about(data: dict) -> list[str]:
    page = data.get("page") or {}
    lines = []
    if data.get("incident_url"):
        lines.append(f"Incident: {page.get('incident')} {data.get('incident_title', '')}".strip())
        lines.append(data["incident_url"])
    if page.get("link"):
        lines.append(f"Link: {page['link']}")
    return lines


def page_email(data: dict) -> dict:
    page = data.get("page") or {}
    lines = [f"You are paged: {page.get('summary', '')}", ""]
    if page.get("message"):
        lines += [page["message"], ""]
    lines += _about(data)
    lines += [
        "",
        f"Acknowledge (stops the escalation): {data.get('acknowledge_url', '')}",
        f"The link works for {data.get('link_hours', 24)} hours; after that, acknowledge in "
        "IncidentDesk.",
    ]
    return {"subject": f"[Page] {page.get('summary', '')}", "text": "\n".join(lines)}


def page_webhook(data: dict) -> dict:
    return {
        "type": "page",
        "page": data.get("page") or {},
        "person": (data.get("person") or {}).get("username"),
        "acknowledge_url": data.get("acknowledge_url", ""),
    }


def page_ntfy(data: dict) -> dict:
    page = data.get("page") or {}
    text = page.get("message") or page.get("summary", "")
    ack = data.get("acknowledge_url", "")
    click = data.get("incident_url") or page.get("link") or ack
    return {
        "title": f"Page: {page.get('summary', '')}",
        "text": "\n".join([text, *_about(data)]),
        "priority": 5,
        "tags": ["rotating_light"],
        "click": click,
        "actions": [{"label": "Acknowledge", "url": ack, "method": "POST"}],
    }


def page_sms(data: dict) -> dict:
    summary = (data.get("page") or {}).get("summary", "")
    if len(summary) > SMS_SUMMARY_MAX:
        summary = summary[: SMS_SUMMARY_MAX - 1] + "…"
    return {"text": f"PAGE: {summary} Ack: {data.get('acknowledge_url', '')}"}


def page_voice(data: dict) -> dict:
    page = data.get("page") or {}
    said = [f"This is IncidentDesk. You are paged: {page.get('summary', '')}."]
    if page.get("message"):
        said.append(page["message"])
    said.append("Acknowledge with the link sent to you, or in IncidentDesk.")
    return {"speech": " ".join(said)}


def page_apprise(data: dict) -> dict:
    page = data.get("page") or {}
    lines = [page.get("message") or page.get("summary", ""), *_about(data)]
    lines.append(f"Acknowledge: {data.get('acknowledge_url', '')}")
    return {"title": f"Page: {page.get('summary', '')}", "text": "\n".join(lines)}


def page_chat(data: dict) -> dict:
    page = data.get("page") or {}
    lines = [f"You are paged: {page.get('summary', '')}"]
    if page.get("message"):
        lines.append(page["message"])
    lines += _about(data)
    buttons = [Button(ACKNOWLEDGE_BUTTON, "Acknowledge", str(page.get("id", "")), primary=True)]
    if data.get("incident_url"):
        buttons.append(Button(OPEN_BUTTON, "Open the incident", url=data["incident_url"]))
    return {"text": "\n".join(lines), "buttons": [asdict(button) for button in buttons]}


def exhausted_email(data: dict) -> dict:
    page = data.get("page") or {}
    lines = [
        f"Nobody acknowledged the page: {page.get('summary', '')}",
        "",
        f"What happened: {page.get('outcome', '')}",
    ]
    if page.get("incident"):
        lines.append(f"Incident: {page['incident']}")
    lines += ["", "Page someone else, or acknowledge it in IncidentDesk if someone is on it."]
    return {"subject": f"[Page unanswered] {page.get('summary', '')}", "text": "\n".join(lines)}


RENDERERS = {
    "email": page_email,
    "webhook": page_webhook,
    "ntfy": page_ntfy,
    "sms": page_sms,
    "voice": page_voice,
    "apprise": page_apprise,
    "chat": page_chat,
}


def register() -> None:
    registry.register_audience(Pagees(), topics=[NOTIFY_TOPIC])
    for kind, render in RENDERERS.items():
        registry.register_renderer(NOTIFY_TOPIC, kind, render, when="emit")
    registry.register_renderer(EXHAUSTED_TOPIC, "email", exhausted_email, when="emit")

"""A page reaching people: by email through a real SMTP server and by webhook to a real HTTP
receiver on loopback (its acknowledge link working when followed), as a Slack direct message
whose Acknowledge button acknowledges, and in the words each other channel kind is given
(ntfy, SMS, voice, Apprise)."""

import json
import re
from urllib.parse import urlsplit

import pytest

from incidentdesk.chat.handling import handle
from incidentdesk.chat.models import ChatIdentity
from incidentdesk.chat.platforms.base import InboundEvent
from incidentdesk.chat.services import inbound_record
from incidentdesk.core.sources import ActionSource
from incidentdesk.notifications import registry
from incidentdesk.notifications.models import Delivery, OutboxEvent
from incidentdesk.oncall.models import ContactMethod, PageStatus
from incidentdesk.oncall.page_selectors import contact_method_data
from incidentdesk.oncall.paging import page_create

pytestmark = pytest.mark.django_db
WEB = ActionSource.WEB


def words(kind: str) -> dict:
    event = OutboxEvent.objects.filter(topic="page.notify").latest("pk")
    return registry.words_for(event.topic, event.payload, kind)


def test_a_page_is_mailed_with_a_link_that_acknowledges_it(
    smtp, crew, responder, incident, committed, client
):
    page = committed(
        page_create,
        actor=responder,
        source=WEB,
        person="ada",
        incident=incident,
        message="Checkout returns 502 for a third of requests.",
    )
    [message] = smtp.to("ada@example.com")
    assert message["Subject"] == f"[Page] {incident.reference}: {incident.title}"
    text = message.get_content()
    assert "Checkout returns 502 for a third of requests." in text
    assert f"/incidents/{incident.reference}" in text
    link = re.search(r"Acknowledge \(stops the escalation\): (\S+)", text).group(1)
    assert client.post(urlsplit(link).path).status_code == 200
    page.refresh_from_db()
    incident.refresh_from_db()
    assert page.status == PageStatus.ACKNOWLEDGED and page.acknowledged_by == crew["ada"]
    assert incident.acknowledged_at is not None


def test_a_page_is_posted_to_a_webhook_as_json_with_its_acknowledge_link(
    receiver, crew, responder, committed
):
    method = ContactMethod.objects.create(
        user=crew["bob"], position=1, kind="webhook", address=receiver.url("/bob")
    )
    receiver.secrets["/bob"] = contact_method_data(method)["signing_secret"]
    page = committed(page_create, actor=responder, source=WEB, person="bob", summary="Disk full")
    [request] = receiver.delivered()
    assert request["verified"]  # signed with the secret the method shows its owner
    body = json.loads(request["body"])
    assert body["type"] == "page" and body["person"] == "bob"
    assert body["page"]["id"] == page.pk and body["page"]["summary"] == "Disk full"
    assert body["page"]["status"] == "open"
    assert "/pages/ack/" in body["acknowledge_url"]
    assert request["headers"]["X-IncidentDesk-Delivery"] == Delivery.objects.get().key


def test_each_other_kind_is_given_its_own_words_with_the_acknowledge_link(
    crew, responder, incident
):
    page_create(
        actor=responder, source=WEB, person="ada", incident=incident, message="502s on checkout"
    )
    link = words("webhook")["acknowledge_url"]
    ntfy = words("ntfy")
    assert ntfy["title"] == f"Page: {incident.reference}: {incident.title}"
    assert ntfy["priority"] == 5 and ntfy["tags"] == ["rotating_light"]
    assert ntfy["actions"] == [{"label": "Acknowledge", "url": link, "method": "POST"}]
    assert ntfy["click"].endswith(f"/incidents/{incident.reference}")
    assert words("sms")["text"].endswith(f"Ack: {link}")
    assert words("sms")["text"].startswith(f"PAGE: {incident.reference}")
    speech = words("voice")["speech"]
    assert speech.startswith("This is IncidentDesk. You are paged:") and "502s" in speech
    assert "http" not in speech  # a voice call does not read out links
    apprise = words("apprise")
    assert apprise["title"].startswith("Page: ") and apprise["text"].endswith(link)


def test_a_chat_page_is_a_direct_message_whose_button_acknowledges(
    configured, standin, crew, responder, committed
):
    standin.add_user("UADA", name="ada", email="ada@example.com")
    ChatIdentity.objects.create(platform="slack", external_id="UADA", user=crew["ada"])
    ContactMethod.objects.create(user=crew["ada"], position=1, kind="chat", address="slack:UADA")
    page = committed(page_create, actor=responder, source=WEB, person="ada", summary="Disk full")
    [text] = standin.direct_messages("UADA")
    assert text.startswith("You are paged: Disk full")
    dm = next(c for c in standin.channels.values() if c.name == "dm-UADA")
    [posted] = dm.messages.values()
    assert "oncall.page_acknowledge" in json.dumps(posted["blocks"])
    event = InboundEvent(
        platform="slack",
        dedup_key="trigger:ack",
        kind="button",
        conversation=dm.id,
        actor="UADA",
        occurred_at=page.created_at,
        values={"action": "oncall.page_acknowledge", "value": str(page.pk)},
    )
    record, _ = inbound_record(event)
    committed(handle, record.pk)
    record.refresh_from_db()
    assert record.error == ""
    page.refresh_from_db()
    assert (page.status, page.acknowledged_by, page.acknowledged_source) == (
        PageStatus.ACKNOWLEDGED,
        crew["ada"],
        "chat",
    )
    assert any("Acknowledged by" in m for m in standin.direct_messages("UADA"))


def test_someone_paged_about_a_restricted_incident_they_cannot_see_is_not_told_what_it_is(
    smtp, crew, responder, declare, committed
):
    secret = declare(actor=responder, summary="Payroll database exfiltrated", restricted=True)
    committed(
        page_create,
        actor=responder,
        source=WEB,
        person="ada",
        incident=secret,
        message="attacker still inside",
    )
    [message] = smtp.to("ada@example.com")
    text = message["Subject"] + message.get_content()
    assert secret.reference in text and "ask" in text
    assert secret.title not in text and "attacker" not in text
    for kind in ("webhook", "ntfy", "sms", "voice", "apprise"):
        assert secret.title not in json.dumps(words(kind)), kind


def test_someone_invited_to_a_restricted_incident_is_told_what_it_is(
    smtp, crew, responder, declare, committed
):
    from incidentdesk.incidents.services import incident_invite

    secret = declare(actor=responder, summary="Payroll database exfiltrated", restricted=True)
    incident_invite(actor=responder, source=WEB, incident=secret, user=crew["ada"])
    committed(page_create, actor=responder, source=WEB, person="ada", incident=secret)
    [message] = smtp.to("ada@example.com")
    assert secret.title in message["Subject"]

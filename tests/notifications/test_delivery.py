"""Delivering notifications through a real SMTP server and a real HTTP receiver."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidentdesk.core.errors import InvalidTransition, PermissionDenied
from incidentdesk.notifications import delivery as engine
from incidentdesk.notifications import tasks
from incidentdesk.notifications.models import Delivery, DeliveryStatus, OutboxEvent
from incidentdesk.notifications.services import delivery_retry, delivery_retry_failed
from incidentdesk.statuspage.services import component_status_change
from incidentdesk.statuspage.subscriber_tokens import UNSUBSCRIBE, make_token
from incidentdesk.statuspage.subscribers import subscriber_unsubscribe
from tests.notifications.conftest import WEB, body, start_smtp


def incident_emails(inbox, address):
    return [m for m in inbox.to(address) if "Payments are failing" in m["Subject"]]


def come_due():
    """Drive time forward: every waiting delivery is due now (instead of sleeping)."""
    Delivery.objects.filter(status=DeliveryStatus.PENDING).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)
    )


def run_sweep():
    tasks.sweep.call_local()


def test_publishing_emails_subscribers_of_affected_components_and_of_everything_only(
    smtp, subscribe, publish, components
):
    api, website = components["API"], components["Website"]
    subscribe(email="api@example.com", components=[api])
    subscribe(email="all@example.com")
    subscribe(email="web@example.com", components=[website])
    subscribe(email="unconfirmed@example.com", confirm=False)
    publish({api: "major_outage"})
    assert len(incident_emails(smtp, "api@example.com")) == 1
    assert len(incident_emails(smtp, "all@example.com")) == 1
    assert incident_emails(smtp, "web@example.com") == []
    assert incident_emails(smtp, "unconfirmed@example.com") == []
    message = incident_emails(smtp, "api@example.com")[0]
    assert message["Subject"] == "[Status] Payments are failing: Identified"
    assert "We are looking into failed card payments." in message.get_content()


def test_a_component_subscriber_hears_about_a_change_to_its_group(
    smtp, subscribe, publish, components
):
    from tests.factories import ComponentFactory

    group = ComponentFactory(name="Platform")
    child = ComponentFactory(name="Queue", group=group)
    subscribe(email="platform@example.com", components=[group])
    publish({child: "partial_outage"})
    assert len(incident_emails(smtp, "platform@example.com")) == 1


def test_a_component_subscriber_hears_only_about_incidents_that_name_its_components(
    smtp, subscribe, publish, components, responder, django_capture_on_commit_callbacks
):
    from incidentdesk.statuspage.services import publication_update

    api, website = components["API"], components["Website"]
    subscribe(email="api@example.com", components=[api])
    subscribe(email="web@example.com", components=[website])
    subscribe(email="all@example.com")
    publication = publish()  # names no component yet: only "everything" subscribers hear
    assert incident_emails(smtp, "api@example.com") == []
    assert incident_emails(smtp, "web@example.com") == []
    assert len(incident_emails(smtp, "all@example.com")) == 1
    with django_capture_on_commit_callbacks(execute=True):
        publication_update(
            actor=responder,
            source=WEB,
            public_incident=publication,
            message="The website is affected.",
            components={website.public_id: "degraded_performance"},
        )
    assert incident_emails(smtp, "api@example.com") == []  # only ever about the website
    assert len(incident_emails(smtp, "web@example.com")) == 1
    assert len(incident_emails(smtp, "all@example.com")) == 2


def test_every_subscriber_email_has_a_working_one_click_unsubscribe(
    smtp, subscribe, publish, components, django_capture_on_commit_callbacks
):
    subscriber = subscribe(email="ann@example.com")
    publish({components["API"]: "degraded_performance"})
    received = len(smtp.to("ann@example.com"))
    message = incident_emails(smtp, "ann@example.com")[0]
    header = message["List-Unsubscribe"].strip()  # a long header may be folded
    assert header.startswith("<https://status.example.com/unsubscribe/") and header.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = header[1:-1]
    assert f"Unsubscribe with one click: {url}" in message.get_content()
    subscriber_unsubscribe(token=url.rsplit("/", 1)[1])
    subscriber.refresh_from_db()
    assert subscriber.unsubscribed_at is not None
    publish({components["API"]: "major_outage"}, name="Payments are failing again")
    assert len(smtp.to("ann@example.com")) == received


def test_a_message_id_is_derived_from_the_delivery_key(smtp, subscribe, publish):
    subscribe(email="ann@example.com")
    publish()
    [message] = incident_emails(smtp, "ann@example.com")
    row = Delivery.objects.get(recipient="ann@example.com", event__topic="incident.updated")
    from incidentdesk.notifications.channels.email import message_id

    assert message["Message-ID"] == message_id(row.key)
    assert row.key == f"{row.event_id}:{row.reference}"


def test_webhooks_are_signed_and_shaped_like_statuspage(
    smtp, receiver, subscribe, publish, components
):
    api = components["API"]
    subscriber = subscribe(url=receiver.url("/hook"), receiver=receiver)
    publish({api: "major_outage"})
    assert len(receiver.requests) == 2
    assert all(r["verified"] for r in receiver.requests)
    component_body, incident_body = (body(r) for r in receiver.requests)
    assert set(component_body) == {"meta", "page", "component_update", "component"}
    assert component_body["component_update"]["new_status"] == "major_outage"
    assert component_body["component"]["id"] == api.public_id
    assert set(incident_body) == {"meta", "page", "incident"}
    assert incident_body["incident"]["name"] == "Payments are failing"
    assert incident_body["incident"]["status"] == "identified"
    assert incident_body["meta"]["unsubscribe"].startswith(
        "https://status.example.com/unsubscribe/"
    )
    assert "email" not in incident_body
    headers = receiver.requests[1]["headers"]
    assert headers["Content-Type"] == "application/json"
    row = Delivery.objects.get(reference=str(subscriber.pk), event__topic="incident.updated")
    assert headers["X-IncidentDesk-Delivery"] == row.key
    assert row.status == DeliveryStatus.SENT and row.attempts == 1


def test_a_webhook_is_retried_with_backoff_until_the_receiver_answers_2xx(
    smtp, receiver, subscribe, publish
):
    subscribe(url=receiver.url("/hook"), receiver=receiver)
    receiver.statuses = [500, 503]
    before = timezone.now()
    publish()
    row = Delivery.objects.get(event__topic="incident.updated")
    assert (row.status, row.attempts, row.last_error) == (
        "pending",
        1,
        "HTTP 500 Internal Server Error",
    )
    first_wait = row.next_attempt_at - before
    assert timedelta(seconds=20) < first_wait < timedelta(seconds=40)
    run_sweep()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1
    come_due()
    run_sweep()
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 2)
    assert timedelta(seconds=45) < row.next_attempt_at - timezone.now() < timedelta(seconds=75)
    come_due()
    run_sweep()
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")
    assert [r["status"] for r in receiver.requests] == [500, 503, 200]
    assert len({r["headers"]["X-IncidentDesk-Delivery"] for r in receiver.requests}) == 1


def test_delivery_gives_up_after_the_last_attempt(smtp, receiver, subscribe, publish):
    subscribe(url=receiver.url("/hook"), receiver=receiver)
    receiver.statuses = [500] * engine.MAX_ATTEMPTS
    publish()
    for _ in range(engine.MAX_ATTEMPTS + 2):
        come_due()
        run_sweep()
    row = Delivery.objects.get(event__topic="incident.updated")
    assert (row.status, row.attempts) == ("failed", engine.MAX_ATTEMPTS)
    assert len(receiver.requests) == engine.MAX_ATTEMPTS


def test_backoff_doubles_and_stops_growing_at_an_hour():
    waits = [engine.backoff(n).total_seconds() for n in range(1, 10)]
    for n, wait in enumerate(waits, start=1):
        expected = min(30 * 2 ** (n - 1), 3600)
        assert 0.8 * expected <= wait <= 1.2 * expected


def test_fanning_out_and_delivering_twice_sends_once(smtp, subscribe, publish):
    subscribe(email="ann@example.com")
    publish()
    event = OutboxEvent.objects.get(topic="incident.updated")
    assert engine.fan_out_event(event.pk) == 0  # already fanned out
    OutboxEvent.objects.filter(pk=event.pk).update(fanned_out_at=None)
    assert engine.fan_out_event(event.pk) == 1  # tried again: the unique key keeps one row
    assert Delivery.objects.filter(event=event).count() == 1
    tasks.fan_out.call_local(event.pk)
    tasks.deliver.call_local()
    run_sweep()
    assert len(incident_emails(smtp, "ann@example.com")) == 1


def test_a_claimed_delivery_is_sent_only_by_its_claimer(smtp, subscribe, publish, settings):
    subscribe(email="ann@example.com")
    settings.EMAIL_PORT = 1  # nothing listens: the publication's delivery is left waiting
    publish()
    come_due()
    first = engine.claim()
    second = engine.claim()
    assert [d.recipient for d in first] == ["ann@example.com"]
    assert second == []
    assert Delivery.objects.get(pk=first[0].pk).status == "sending"


def test_nothing_is_lost_while_the_mail_server_is_down(
    mail_settings, subscribe, publish, components
):
    for n in range(5):
        subscribe(email=f"user{n}@example.com")
    publish({components["API"]: "major_outage"})  # the mail server is not running yet
    rows = Delivery.objects.filter(event__to_subscribers=True)
    assert rows.count() == 10  # a component email and an incident email each
    assert set(rows.values_list("status", flat=True)) == {"pending"}
    assert all("unreachable" in r.last_error or "Connection" in r.last_error for r in rows)
    controller, inbox = start_smtp(mail_settings.EMAIL_PORT)  # the server comes back
    try:
        come_due()
        run_sweep()
    finally:
        controller.stop()
    assert set(rows.values_list("status", flat=True)) == {"sent"}
    for n in range(5):  # their confirmation emails, then the two status emails
        assert len(inbox.to(f"user{n}@example.com")) == 3


def test_a_worker_that_died_while_sending_is_recovered_by_the_sweep(smtp, subscribe, publish):
    subscribe(email="ann@example.com")
    Delivery.objects.all().delete()
    publish()
    row = Delivery.objects.get(event__topic="incident.updated")
    smtp.messages.clear()
    # As if a worker claimed it three minutes ago and was killed before recording the send.
    Delivery.objects.filter(pk=row.pk).update(
        status="sending", claimed_at=timezone.now() - timedelta(minutes=3)
    )
    run_sweep()
    row.refresh_from_db()
    assert row.status == "sent"
    [resent] = smtp.to("ann@example.com")
    from incidentdesk.notifications.channels.email import message_id

    assert resent["Message-ID"] == message_id(row.key)  # recognisably the same message


def test_a_recent_claim_is_left_to_its_worker(smtp, subscribe, publish):
    subscribe(email="ann@example.com")
    publish()
    row = Delivery.objects.get(event__topic="incident.updated")
    Delivery.objects.filter(pk=row.pk).update(status="sending", claimed_at=timezone.now())
    run_sweep()
    row.refresh_from_db()
    assert row.status == "sending"


def test_an_event_nobody_fanned_out_is_fanned_out_by_the_sweep(smtp, subscribe):
    from incidentdesk.notifications.outbox import emit

    subscribe(email="ann@example.com")
    # Emitted outside any commit callback: as if the queue was down when it committed.
    event = emit(topic="test.lost", payload={"email": {"subject": "Lost", "text": "x"}},
                 to_subscribers=True)  # fmt: skip
    OutboxEvent.objects.filter(pk=event.pk).update(created_at=timezone.now() - timedelta(minutes=1))
    run_sweep()
    assert [m["Subject"] for m in smtp.updates("ann@example.com")] == ["Lost"]


def test_a_webhook_to_a_private_address_is_refused_at_delivery(
    smtp, receiver, subscribe, publish, settings
):
    subscribe(url=receiver.url("/hook"), receiver=receiver)
    settings.WEBHOOKS_ALLOW_PRIVATE = False  # e.g. the name now resolves to a private address
    publish()
    row = Delivery.objects.get(event__topic="incident.updated")
    assert row.status == "failed"
    assert row.attempts == 1
    assert "refused" in row.last_error and "loopback" in row.last_error
    assert receiver.requests == []


def test_a_delivery_to_someone_who_unsubscribed_meanwhile_is_skipped(
    smtp, subscribe, publish, settings
):
    subscriber = subscribe(email="ann@example.com")
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, 1  # the first attempt fails
    publish()
    subscriber_unsubscribe(token=make_token(subscriber.pk, UNSUBSCRIBE))
    settings.EMAIL_PORT = port
    come_due()
    run_sweep()
    row = Delivery.objects.get(event__topic="incident.updated")
    assert (row.status, row.last_error) == ("failed", "skipped: unsubscribed")
    assert smtp.updates("ann@example.com") == []


def test_a_component_change_by_hand_notifies_that_components_subscribers(
    smtp, subscribe, manager, components, django_capture_on_commit_callbacks
):
    subscribe(email="ann@example.com", components=[components["Billing"]])
    subscribe(email="bob@example.com", components=[components["API"]])
    with django_capture_on_commit_callbacks(execute=True):
        component_status_change(
            actor=manager, source=WEB, component=components["Billing"], status="partial_outage"
        )
    [message] = smtp.updates("ann@example.com")
    assert message["Subject"] == "[Status] Billing is partial outage"
    assert smtp.updates("bob@example.com") == []


def test_managers_retry_a_failed_delivery(
    smtp, receiver, subscribe, publish, manager, responder, django_capture_on_commit_callbacks
):
    subscribe(url=receiver.url("/hook"), receiver=receiver)
    receiver.statuses = [500] * engine.MAX_ATTEMPTS
    publish()
    Delivery.objects.update(status="failed")
    row = Delivery.objects.get(event__topic="incident.updated")
    with pytest.raises(PermissionDenied):
        delivery_retry(actor=responder, source=WEB, delivery=row)
    receiver.statuses = []
    with django_capture_on_commit_callbacks(execute=True):
        delivery_retry(actor=manager, source=WEB, delivery=row)
    row.refresh_from_db()
    assert row.status == "sent"
    with pytest.raises(InvalidTransition):
        delivery_retry(actor=manager, source=WEB, delivery=row)
    assert delivery_retry_failed(actor=manager, source=WEB) == 0


def test_an_event_carrying_a_calendar_invite_attaches_it_to_the_email(db):
    from django.core.mail import get_connection

    from incidentdesk.notifications.channels.email import build_message
    from incidentdesk.notifications.models import Delivery, OutboxEvent

    invite = "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
    event = OutboxEvent.objects.create(
        topic="postmortem.meeting",
        payload={"email": {"subject": "Root-cause meeting", "text": "Join us"}, "ics": invite},
        staff_emails=["ada@example.com"],
    )
    delivery = Delivery.objects.create(
        event=event, channel="email", recipient="ada@example.com", key=f"{event.pk}:ada"
    )
    message = build_message(delivery, get_connection())
    name, content, mimetype = message.attachments[0]
    assert name == "invite.ics" and content == invite
    assert mimetype.startswith("text/calendar")
